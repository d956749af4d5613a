import { type Request, Router } from 'express';
import { cartLines, findProduct, formatPrice, MAX_QUANTITY, PRODUCTS } from '../catalog.js';
import { html } from '../html/escape.js';
import { csrfField, flash, localsOf, sendPage } from '../web/layout.js';

function productForm(req: Request, action: string, productId: string, label: string, back: string) {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(req)}<input type="hidden" name="product" value="${productId}"><input type="hidden" name="back" value="${back}">
    <button type="submit"${action.endsWith('remove') && html` class="secondary"`}>${label}</button>
  </form>`;
}

// Where a cart form may send the browser back to: only the two pages that have cart forms.
const BACK = new Set(['/', '/cart']);

/** The shop and the cart: the cart lives in `req.session.cart`, so it follows the session across restarts. */
export function shopRoutes(): Router {
  const router = Router();

  // The page depends on the session: a welcome for guests, the user's name and cart for members.
  router.get('/', (req, res) => {
    const { user } = localsOf(res);
    const { count } = cartLines(req.session.cart);
    const intro = user
      ? html`<p class="lead">Signed in as <strong>${user.username}</strong>.
          ${count > 0 ? html`Your cart holds ${count} item${count === 1 ? '' : 's'}.` : 'Your cart is empty.'}</p>`
      : html`<p class="lead">Add a few things to your cart, then <a href="/login">log in</a> or
          <a href="/signup">sign up</a>: the cart comes with you, and stays when the server restarts.</p>`;
    sendPage(req, res, {
      title: 'Shop',
      heading: user ? 'The coat shop' : 'Welcome to the coat shop',
      body: html`${intro}
<ul class="products">
${PRODUCTS.map(
  (p) => html`<li class="card">
  <h2>${p.name}</h2>
  <p>${p.description}</p>
  <p class="price">${formatPrice(p.price)}${
    req.session.cart?.[p.id] ? html` <span class="muted">· ${req.session.cart[p.id]} in cart</span>` : ''
  }</p>
  ${productForm(req, '/cart/add', p.id, 'Add to cart', '/')}
</li>`,
)}
</ul>`,
    });
  });

  router.get('/cart', (req, res) => {
    const { lines, total } = cartLines(req.session.cart);
    sendPage(req, res, {
      title: 'Cart',
      body:
        lines.length === 0
          ? html`<p class="card empty">Your cart is empty. <a href="/">Back to the shop</a>.</p>`
          : html`<table class="cart" data-testid="cart">
<thead><tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col" class="num">Subtotal</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${lines.map(
  (line) => html`<tr data-product="${line.product.id}">
  <td>${line.product.name}</td>
  <td class="qty">${line.quantity}</td>
  <td class="num">${formatPrice(line.subtotal)}</td>
  <td class="actions">${productForm(req, '/cart/add', line.product.id, '+1', '/cart')}${productForm(req, '/cart/remove', line.product.id, '−1', '/cart')}</td>
</tr>`,
)}
</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td class="num" data-testid="cart-total">${formatPrice(total)}</td><td></td></tr></tfoot>
</table>
<form method="post" action="/cart/clear" class="inline">${csrfField(req)}<button class="secondary">Empty the cart</button></form>`,
    });
  });

  router.post('/cart/add', (req, res) => {
    const product = findProduct(req.body?.product);
    if (!product) {
      flash(req, 'error', 'That product does not exist.');
    } else {
      const cart = { ...req.session.cart };
      const quantity = cart[product.id] ?? 0;
      if (quantity >= MAX_QUANTITY) {
        flash(req, 'error', `At most ${MAX_QUANTITY} of one thing per cart.`);
      } else {
        cart[product.id] = quantity + 1;
        req.session.cart = cart;
        flash(req, 'success', `${product.name} added to your cart.`);
      }
    }
    res.redirect(303, BACK.has(req.body?.back) ? req.body.back : '/');
  });

  router.post('/cart/remove', (req, res) => {
    const product = findProduct(req.body?.product);
    const cart = { ...req.session.cart };
    if (product && cart[product.id]) {
      cart[product.id] = (cart[product.id] as number) - 1;
      if (cart[product.id] === 0) delete cart[product.id];
      req.session.cart = cart;
    }
    res.redirect(303, '/cart');
  });

  router.post('/cart/clear', (req, res) => {
    delete req.session.cart;
    flash(req, 'info', 'Your cart is empty.');
    res.redirect(303, '/cart');
  });

  return router;
}

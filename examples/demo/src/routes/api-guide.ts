import { Router } from 'express';
import { html } from '../html/escape.js';
import { sendPage } from '../web/layout.js';

/** A page that shows the JSON API next to the session-based pages, with commands to try it. */
export function apiGuideRoutes(): Router {
  const router = Router();
  router.get('/api', (req, res) => {
    const origin = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
    sendPage(req, res, {
      title: 'The JSON API',
      body: html`<p class="lead">The pages keep you signed in with a session cookie. The API under <code>/api</code>
does the same job with tokens: a short-lived access token (a JWT signed with Ed25519, checked by
<code>@coatcheck/jwt</code>) and a refresh token that works once and is replaced on every use.</p>
<div class="compare">
<section class="card"><h2>Session cookie</h2><ul>
<li>The browser sends it by itself; scripts cannot read it (HttpOnly).</li>
<li>The server can list and end each session (see <a href="/devices">Devices</a>).</li>
<li>Forms need CSRF protection, since the browser sends the cookie for anyone.</li></ul></section>
<section class="card"><h2>Bearer token</h2><ul>
<li>The client sends it in <code>Authorization</code>; nothing is sent automatically, so no CSRF.</li>
<li>Verified without a database lookup; ended by its expiry (minutes), renewed with the refresh token.</li>
<li>Reusing a spent refresh token revokes its whole family: a stolen copy stops working.</li></ul></section>
</div>
<h2>Try it</h2>
<pre><code>curl -s -X POST ${origin}/api/token -H 'content-type: application/json' \\
  -d '{"username":"you","password":"your password"}'
curl -s ${origin}/api/me -H "authorization: Bearer $ACCESS_TOKEN"
curl -s ${origin}/api/cart -H "authorization: Bearer $ACCESS_TOKEN"
curl -s -X POST ${origin}/api/refresh -H 'content-type: application/json' \\
  -d "{\\"refresh_token\\":\\"$REFRESH_TOKEN\\"}"</code></pre>
<table class="endpoints">
<thead><tr><th scope="col">Endpoint</th><th scope="col">Does</th></tr></thead>
<tbody>
<tr><td><code>POST /api/token</code></td><td>Username and password in, access and refresh token out.</td></tr>
<tr><td><code>POST /api/refresh</code></td><td>A refresh token in, a new pair out; the old refresh token is spent.</td></tr>
<tr><td><code>POST /api/logout</code></td><td>Revokes the refresh token and its family.</td></tr>
<tr><td><code>GET /api/me</code></td><td>Who the access token belongs to; 401 without one.</td></tr>
<tr><td><code>GET /api/cart</code></td><td>The cart of your most recently used browser session.</td></tr>
</tbody>
</table>`,
    });
  });
  return router;
}

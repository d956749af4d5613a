/** Something the demo shop sells. Prices are in cents, so sums are exact. */
export interface Product {
  id: string;
  name: string;
  description: string;
  price: number;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'wool-coat', name: 'Wool coat', description: 'Charcoal, double-breasted, warm.', price: 18900 },
  { id: 'rain-jacket', name: 'Rain jacket', description: 'Packs into its own pocket.', price: 8900 },
  { id: 'scarf', name: 'Scarf', description: 'Merino, long enough to wrap twice.', price: 3500 },
  { id: 'umbrella', name: 'Umbrella', description: 'Survives the wind, mostly.', price: 2400 },
  { id: 'gloves', name: 'Gloves', description: 'Touchscreen fingertips.', price: 2900 },
  { id: 'hat', name: 'Hat', description: 'Felt, with a ribbon.', price: 4500 },
];

const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

export function findProduct(id: unknown): Product | undefined {
  return typeof id === 'string' ? BY_ID.get(id) : undefined;
}

/** Most of one product a cart may hold: enough for a demo, small enough to keep sessions small. */
export const MAX_QUANTITY = 20;

export interface CartLine {
  product: Product;
  quantity: number;
  subtotal: number;
}

/** The cart's lines in catalogue order, skipping products that no longer exist, and its total. */
export function cartLines(cart: Readonly<Record<string, number>> | undefined): {
  lines: CartLine[];
  count: number;
  total: number;
} {
  const lines: CartLine[] = [];
  for (const product of PRODUCTS) {
    const quantity = cart?.[product.id];
    if (typeof quantity === 'number' && quantity > 0) {
      lines.push({ product, quantity, subtotal: quantity * product.price });
    }
  }
  return {
    lines,
    count: lines.reduce((n, line) => n + line.quantity, 0),
    total: lines.reduce((n, line) => n + line.subtotal, 0),
  };
}

export function formatPrice(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

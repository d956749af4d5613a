/** Markup that is already safe: built by {@link html}, never from a raw string. */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A value that may appear inside `html`: text, numbers, markup, lists of them, or nothing. */
export type Interpolation =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

/**
 * Builds markup from a template literal, escaping every interpolation unless it is itself `html`.
 * `false`, `true`, `null` and `undefined` render as nothing, so `${cond && html`…`}` works.
 *
 * @example
 * ```ts
 * html`<p>Hello, ${user.name}</p>`; // <p>Hello, &lt;script&gt;…</p> for a hostile name
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolation) + strings[i + 1];
  return new SafeHtml(out);
}

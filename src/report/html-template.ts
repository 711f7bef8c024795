/**
 * HTML that is escaped by construction. `html\`…\`` escapes every interpolated value unless it
 * is already `SafeHtml` (another `html` fragment, or text explicitly marked with `raw()`), and
 * joins arrays of fragments. So a value that comes from the AC — a gateway name, a model, a
 * version — can only ever land in the page as text, whichever helper it passes through, and a
 * fragment nested in another is never escaped twice.
 *
 * Escaping covers element content and quoted attribute values (every attribute on the page is
 * quoted); it is not meant for unquoted attributes, URLs chosen by data, or script/style bodies.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/g;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (c) => ENTITIES[c] ?? c);
}

/** Brand of safe markup; not exported, so nothing outside this module can make one. */
const MARKUP: unique symbol = Symbol('SafeHtml');

/**
 * A piece of markup known to be safe to insert as is. Only `html` and `raw` make one, so a plain
 * string can never pass for markup (and the type cannot be forged structurally).
 */
export interface SafeHtml {
  readonly [MARKUP]: string;
  /** The markup itself. */
  toString(): string;
}

class Markup implements SafeHtml {
  readonly [MARKUP]: string;

  constructor(markup: string) {
    this[MARKUP] = markup;
  }

  toString(): string {
    return this[MARKUP];
  }
}

/** What may be interpolated: text and numbers are escaped, SafeHtml is kept, arrays are joined. */
export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Markup) return value[MARKUP];
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value as readonly HtmlValue[]) out += render(item);
    return out;
  }
  return escapeHtml(String(value));
}

/** The tagged template: literal parts as written, every interpolation through `render`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Markup(out);
}

/** Fragments joined by `separator` (text, escaped like any other value). */
export function join(values: readonly HtmlValue[], separator: string): SafeHtml {
  const sep = escapeHtml(separator);
  return new Markup(values.map(render).join(sep));
}

/**
 * Marks `markup` as safe without escaping it. Only for markup the page itself produced (its
 * stylesheet); never for anything that holds a value from outside.
 */
export function raw(markup: string): SafeHtml {
  return new Markup(markup);
}

/** HTML building blocks of the web app's pages: escaping, number formats, tables, links. */
import type { MoneyTotal } from '../../domain/engine.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Everything interpolated goes through here: deal names and messages come from the CRM. */
export const escapeHtml = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Markup that is already safe (built by these helpers); anything else is escaped when placed. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}
export const raw = (value: string): Html => new Html(value);
const place = (value: unknown): string => (value instanceof Html ? value.value : escapeHtml(value));

/** Tagged template: interpolations are escaped unless they are Html (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += Array.isArray(v) ? v.map(place).join('') : place(v);
    out += strings[i + 1] ?? '';
  });
  return new Html(out);
}

export const amount = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : Math.round(x).toLocaleString('en-US');
export const money = (total: MoneyTotal): string =>
  total.length === 0 ? '0' : total.map((m) => `${Math.round(m.amount).toLocaleString('en-US')} ${m.currency}`).join(' + ');
export const percent = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${Math.round(x * 100)}%`);
export const day = (iso: string | null | undefined): string => (iso === null || iso === undefined ? '-' : iso.slice(0, 10));

/** A table; cells are text (escaped) or Html. `numeric` columns align right. */
export function table(
  head: readonly string[],
  rows: readonly unknown[][],
  options: { numeric?: readonly number[]; id?: string } = {},
): Html {
  if (rows.length === 0) return html`<p class="none">none</p>`;
  const numeric = new Set(options.numeric ?? []);
  const cls = (i: number) => (numeric.has(i) ? raw(' class="num"') : '');
  const id = options.id === undefined ? '' : raw(` id="${escapeHtml(options.id)}"`);
  return html`<table${id}><thead><tr>${head.map((h, i) => html`<th${cls(i)}>${h}</th>`)}</tr></thead><tbody>
${rows.map((r) => html`<tr>${r.map((c, i) => html`<td${cls(i)}>${c}</td>`)}</tr>\n`)}</tbody></table>`;
}

export const link = (href: string, text: unknown, attrs = ''): Html => html`<a href="${href}"${raw(attrs)}>${text}</a>`;

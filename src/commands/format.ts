/** How commands print numbers for a person: whole currency units with grouping, percentages. */

/** `1,045,003` (whole units, grouped; JSON keeps the exact value). */
export function formatWhole(amount: number): string {
  return Math.round(amount).toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** `23%`; `-` for null; with `signed`, `+23%`. */
export function formatPercent(x: number | null, signed = false): string {
  if (x === null) return '-';
  const p = Math.round(x * 100);
  return `${signed && p > 0 ? '+' : ''}${p}%`;
}

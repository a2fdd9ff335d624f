/**
 * `1234567.8` -> `1,234,568`: what `toLocaleString('en-US')` prints for a rounded number, without
 * building an Intl formatter per call (that cost dominated findings that quote amounts).
 */
export function groupThousands(n: number): string {
  const rounded = Math.round(n);
  const digits = String(Math.abs(rounded));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return rounded < 0 ? `-${out}` : out;
}

/**
 * FNV-1a 64-bit over UTF-16 code units, in BigInt-free 32-bit halves so it runs in pure
 * JavaScript without node:crypto (the domain has no I/O or platform imports). Not a
 * cryptographic hash: it only needs to be stable and well spread for ledger keys.
 */
export function fnv1a64(text: string): [hi: number, lo: number] {
  // offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2^40 + 0x1b3
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2; // 16-bit limbs, little end first
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h0 ^= c & 0xff;
    // second byte too, so non-ASCII characters contribute fully
    for (let pass = 0; pass < 2; pass++) {
      if (pass === 1) h0 ^= c >>> 8;
      // multiply by 0x100000001b3: t = h * 0x1b3 + (h << 40)
      let t0 = h0 * 0x1b3;
      let t1 = h1 * 0x1b3;
      let t2 = h2 * 0x1b3;
      let t3 = h3 * 0x1b3;
      t2 += h0 << 8;
      t3 += h1 << 8;
      t1 += t0 >>> 16;
      h0 = t0 & 0xffff;
      t2 += t1 >>> 16;
      h1 = t1 & 0xffff;
      t3 += t2 >>> 16;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
  }
  return [((h3 << 16) | h2) >>> 0, ((h1 << 16) | h0) >>> 0];
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 alphabet (lower case, no padding) of a 64-bit value: 13 characters. */
export function base32of64(hi: number, lo: number): string {
  let out = '';
  // 64 bits = 12 full 5-bit groups + 4 remaining bits; walk from the top.
  for (let bit = 60; bit >= 0; bit -= 5) {
    const v = bitsAt(hi, lo, bit);
    out += BASE32[v] ?? 'a';
  }
  return out;
}

function bitsAt(hi: number, lo: number, shift: number): number {
  // 5 bits starting at `shift` (0 = least significant) of the 64-bit value hi:lo
  if (shift >= 32) return (hi >>> (shift - 32)) & 0x1f;
  if (shift + 5 <= 32) return (lo >>> shift) & 0x1f;
  const lowPart = lo >>> shift;
  const highPart = hi << (32 - shift);
  return (lowPart | highPart) & 0x1f;
}

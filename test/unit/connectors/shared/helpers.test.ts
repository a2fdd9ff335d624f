import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunks } from '../../../../connectors/shared/chunks.js';
import { sameSecret, sha256Hex } from '../../../../connectors/shared/digest.js';
import { parseRetryAfter } from '../../../../connectors/shared/retry.js';

describe('connector helpers', () => {
  it('chunks keeps order and cuts at the batch limit', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 100)).toEqual([]);
  });

  it('sha256Hex is the hex digest, cut to the length asked', () => {
    const full = createHash('sha256').update('conn|deal|rule').digest('hex');
    expect(sha256Hex('conn|deal|rule')).toBe(full);
    expect(sha256Hex('conn|deal|rule', 16)).toBe(full.slice(0, 16));
  });

  it('sameSecret compares strings and bytes, and refuses a value of another length', () => {
    expect(sameSecret('token-123', 'token-123')).toBe(true);
    expect(sameSecret('token-123', 'token-124')).toBe(false);
    expect(sameSecret('token-123', 'token-1234')).toBe(false);
    expect(sameSecret(Buffer.from('abcd', 'hex'), Buffer.from('abcd', 'hex'))).toBe(true);
    expect(sameSecret(Buffer.from('abcd', 'hex'), Buffer.from('abcdef', 'hex'))).toBe(false);
  });

  it('parseRetryAfter reads seconds and HTTP dates; absent or empty is unknown', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { CrmError, DealwatchError } from '../../../src/domain/errors.js';
import { fateOf } from '../../../src/queue/index.js';
import { DEFAULT_RATE_LIMIT_DELAY_MS, QUOTA_DELAY_MS, withJitter } from '../../../src/queue/fate.js';

describe('job fate', () => {
  it('makes auth and configuration errors unrecoverable', () => {
    expect(fateOf(new CrmError('CRM.AUTH', 'revoked', { provider: 'hubspot' })).kind).toBe('unrecoverable');
    expect(fateOf(new CrmError('CRM.MISCONFIGURED', 'no field', { provider: 'salesforce' })).kind).toBe('unrecoverable');
    expect(fateOf(new DealwatchError('CONFIG.INVALID', 'bad')).kind).toBe('unrecoverable');
  });

  it('delays rate-limited jobs by the provider hint, or a default', () => {
    expect(fateOf(new CrmError('CRM.RATE_LIMITED', 'x', { provider: 'hubspot', retryAfterMs: 1500 }))).toMatchObject({
      kind: 'delay',
      delayMs: 1500,
    });
    expect(fateOf(new CrmError('CRM.RATE_LIMITED', 'x', { provider: 'hubspot' }))).toMatchObject({
      kind: 'delay',
      delayMs: DEFAULT_RATE_LIMIT_DELAY_MS,
    });
    expect(fateOf(new CrmError('CRM.QUOTA_EXCEEDED', 'x', { provider: 'salesforce' }))).toMatchObject({
      kind: 'delay',
      delayMs: QUOTA_DELAY_MS,
    });
  });

  it('retries transient errors and unknown ones', () => {
    expect(fateOf(new CrmError('CRM.TRANSIENT', '502', { provider: 'hubspot', retryable: true })).kind).toBe('retry');
    expect(fateOf(new Error('ECONNRESET')).kind).toBe('retry');
  });

  it('adds at most the jitter fraction', () => {
    expect(withJitter(1000, 0.2, () => 0)).toBe(1000);
    expect(withJitter(1000, 0.2, () => 0.999)).toBeLessThanOrEqual(1200);
  });
});

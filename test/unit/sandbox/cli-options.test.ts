/** `dealwatch sandbox --sales-floor [eventsPerMinute]` to the sandbox's sales-floor option. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SALES_FLOOR_EVENTS_PER_MINUTE, salesFloorFrom } from '../../../src/commands/sandbox.js';
import { ConfigError } from '../../../src/domain/errors.js';

describe('--sales-floor', () => {
  it('is off when absent and runs at the default rate when given without a value', () => {
    expect(salesFloorFrom(undefined)).toBeUndefined();
    expect(salesFloorFrom(false)).toBeUndefined();
    expect(salesFloorFrom(true)).toEqual({ intervalMs: 60_000 / DEFAULT_SALES_FLOOR_EVENTS_PER_MINUTE });
  });

  it('turns events per minute into the interval between moves', () => {
    expect(salesFloorFrom('30')).toEqual({ intervalMs: 2000 });
    expect(salesFloorFrom('1200')).toEqual({ intervalMs: 50 });
    expect(salesFloorFrom('0.5')).toEqual({ intervalMs: 120_000 });
  });

  it('rejects a rate that is not a positive number, or above 6,000 a minute, as a configuration error', () => {
    for (const bad of ['0', '-3', 'fast', '6001']) expect(() => salesFloorFrom(bad)).toThrow(ConfigError);
  });
});

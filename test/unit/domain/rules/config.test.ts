import { describe, expect, it } from 'vitest';
import { defaultRulesConfig, parseRulesConfig } from '../../../../src/domain/rules/config.js';
import { engineSettingsFromConnection } from '../../../../src/domain/engine.js';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';

describe('rules config', () => {
  it('has the issue defaults', () => {
    const c = defaultRulesConfig();
    expect(c.stale_deal.days).toBe(14);
    expect(c.stuck_in_stage).toMatchObject({ factor: 1.5, minSamples: 20, fallbackDays: 30 });
    expect(c.close_date_pushed).toMatchObject({ count: 2, days: 90 });
    expect(c.missing_next_step.fromProbability).toBe(0.2);
    expect(c.no_next_activity.fromProbability).toBe(0.4);
    expect(c.amount_decreased).toMatchObject({ percent: 20, days: 7 });
    expect(c.activity_not_logged).toMatchObject({ days: 7, complianceDays: 14 });
    expect(c.discount_over_limit.tiers.map((t) => [t.belowAmount, t.maxPercent])).toEqual([
      [10_000, 10],
      [50_000, 15],
      [null, 20],
    ]);
  });

  it('keeps defaults beside overrides', () => {
    const r = parseRulesConfig({ stale_deal: { days: 21 } });
    expect(r.ok && r.config.stale_deal).toMatchObject({ days: 21, enabled: true, criticalFactor: 2 });
  });

  it('reports every problem with its path', () => {
    const r = parseRulesConfig({ stale_deal: { days: 0 }, stuck_in_stage: { factor: 'x' }, nope: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.some((i) => i.startsWith('stale_deal.days:'))).toBe(true);
      expect(r.issues.some((i) => i.startsWith('stuck_in_stage.factor:'))).toBe(true);
      expect(r.issues.some((i) => i.includes('nope'))).toBe(true);
    }
  });

  it('builds engine settings from a connection, prefixing issues with rules.', () => {
    const conn = HubSpotConnection.parse({
      id: 'hs',
      provider: 'hubspot',
      accessToken: 't',
      timezone: 'Europe/Paris',
      rules: { stale_deal: { days: 7 } },
      fieldMap: { lostReason: 'closed_lost_reason' },
    });
    const s = engineSettingsFromConnection(conn);
    expect(s.ok && s.settings).toMatchObject({ timezone: 'Europe/Paris', lostReasonMapped: true, fiscalYearStartMonth: 1 });
    const bad = engineSettingsFromConnection(
      HubSpotConnection.parse({
        id: 'hs',
        provider: 'hubspot',
        accessToken: 't',
        timezone: 'Mars/Olympus',
        rules: { stale_deal: { days: -1 } },
      }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.issues[0]).toContain('timezone');
      expect(bad.issues[1]).toMatch(/^rules\.stale_deal\.days:/);
    }
  });
});

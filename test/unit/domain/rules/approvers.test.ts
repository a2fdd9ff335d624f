/** Who grants a discount approval: the configured approver of the tier, else the rep's manager, else the rep. */
import { describe, expect, it } from 'vitest';
import { discountApproverFor, parseRulesConfig } from '../../../../src/domain/rules/config.js';
import { engineSettingsFromConnection } from '../../../../src/domain/engine.js';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';

describe('rules.discount_over_limit.approvers', () => {
  it('maps tiers (by their approver) to CRM user ids, none by default', () => {
    const r = parseRulesConfig({ discount_over_limit: { approvers: { CFO: '005000000000001AAA' } } });
    expect(r.ok && r.config.discount_over_limit.approvers).toEqual({ CFO: '005000000000001AAA' });
    const d = parseRulesConfig({});
    expect(d.ok && d.config.discount_over_limit.approvers).toEqual({});
  });

  it('names the field of a tier that does not exist or a blank user id', () => {
    const r = parseRulesConfig({ discount_over_limit: { approvers: { 'Head of Sales': '005A', CFO: ' ' } } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toContainEqual(
        expect.stringMatching(/^discount_over_limit\.approvers\.Head of Sales: no approval tier has approver "Head of Sales"/),
      );
      expect(r.issues).toContainEqual(expect.stringMatching(/^discount_over_limit\.approvers\.CFO: /));
    }
  });

  it("checks tiers named in the connection's own matrix, with the rules. prefix", () => {
    const conn = (rules: unknown) => HubSpotConnection.parse({ id: 'hs', provider: 'hubspot', accessToken: 't', rules });
    const ok = engineSettingsFromConnection(
      conn({
        discount_over_limit: { tiers: [{ belowAmount: null, maxPercent: 25, approver: 'Deal desk' }], approvers: { 'Deal desk': '005B' } },
      }),
    );
    expect(ok.ok).toBe(true);
    const bad = engineSettingsFromConnection(conn({ discount_over_limit: { approvers: { 'Deal desk': '005B' } } }));
    expect(!bad.ok && bad.issues).toEqual([expect.stringMatching(/^rules\.discount_over_limit\.approvers\.Deal desk: /)]);
  });

  it("goes to the configured approver, else the rep's manager, else the rep", () => {
    const cfg = { approvers: { CFO: 'cfo' } };
    expect(discountApproverFor(cfg, 'CFO', { id: 'rep', managerId: 'boss' })).toBe('cfo');
    expect(discountApproverFor(cfg, 'VP Sales', { id: 'rep', managerId: 'boss' })).toBe('boss');
    expect(discountApproverFor(cfg, 'VP Sales', { id: 'rep', managerId: null })).toBe('rep');
    expect(discountApproverFor(cfg, null, { id: 'rep' })).toBe('rep');
    expect(discountApproverFor(cfg, 'VP Sales', null)).toBeNull();
    expect(discountApproverFor(cfg, 'CFO', null)).toBe('cfo');
  });
});

/**
 * Who a deal's discount approval goes to, as the write-back names it in the rep's warning: the
 * user configured for the finding's tier (`rules.discount_over_limit.approvers`), else the rep's
 * manager where the CRM records one, else the rep. The write-back and the deal page use it, so
 * both read the same.
 */
import { engineSettingsFromConnection } from '../src/domain/engine.js';
import { ConfigError } from '../src/domain/errors.js';
import type { ConnectionSettings, Owner } from '../src/domain/model/index.js';
import { discountApproverFor } from '../src/domain/rules/config.js';
import type { LedgerEntry, Repositories } from '../src/store/types.js';

export interface DiscountApprover {
  /** The CRM user id. */
  id: string;
  /** Their name as the CRM has it (the id when the user is not among the synced owners). */
  name: string;
}

/** The approver of a deal with an open discount finding, given the deal's owner and findings (null: no such finding). */
export type ApproverOf = (ownerId: string | null, findings: readonly LedgerEntry[]) => Promise<DiscountApprover | null>;

/** The approver lookup of a connection; the owners are read once, when a deal first needs an approver. */
export function discountApprovers(store: Pick<Repositories, 'owners'>, settings: ConnectionSettings): ApproverOf {
  const engine = engineSettingsFromConnection(settings);
  if (!engine.ok) throw new ConfigError(engine.issues.map((i) => `connections[${settings.id}].${i}`));
  const cfg = engine.settings.rules.discount_over_limit;
  let owners: Promise<Map<string, Owner>> | undefined;
  return async (ownerId, findings) => {
    const finding = findings.find((f) => f.ruleId === 'discount_over_limit' && f.status === 'open');
    if (!finding) return null;
    owners ??= store.owners.list(settings.id).then((list) => new Map(list.map((o) => [o.externalId, o])));
    const byId = await owners;
    const tier = typeof finding.evidence.approver === 'string' ? finding.evidence.approver : null;
    const rep = ownerId === null ? null : { id: ownerId, managerId: byId.get(ownerId)?.managerId ?? null };
    const id = discountApproverFor(cfg, tier, rep);
    return id === null ? null : { id, name: byId.get(id)?.name ?? id };
  };
}

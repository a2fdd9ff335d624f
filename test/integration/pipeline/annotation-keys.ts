/** Reads which ledger keys the sandbox's warning records carry, to check "exactly once". */
import { ANNOTATION_KEY_PATTERN } from '../../../src/domain/engine.js';
import type { Sandbox } from '../../../src/sandbox/index.js';

/**
 * For every ledger key, how many warning records (notes, tasks) in the sandbox carry it; plus the
 * records that carry none of them (strays: written without a ledger row).
 */
export function warningRecordsPerKey(sandbox: Sandbox, provider: 'hubspot' | 'salesforce' | 'any', ledgerKeys: ReadonlySet<string>) {
  const perKey = new Map<string, number>([...ledgerKeys].map((k) => [k, 0]));
  let strays = 0;
  for (const a of sandbox.state.annotations) {
    if (a.kind === 'field_update' || (provider !== 'any' && a.provider !== provider)) continue;
    const text = Object.values(a.fields).filter((v): v is string => typeof v === 'string').join('\n');
    const keys = new Set((text.match(ANNOTATION_KEY_PATTERN) ?? []).filter((k) => ledgerKeys.has(k)));
    if (keys.size === 0) strays += 1;
    for (const k of keys) perKey.set(k, (perKey.get(k) ?? 0) + 1);
  }
  return { perKey, strays };
}

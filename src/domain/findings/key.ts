/** Deterministic annotation keys for the findings ledger and the CRM text we write. */
import { base32of64, fnv1a64 } from '../hash.js';

/**
 * The annotation key of one finding occurrence: `dw:` + 13 base32 characters of FNV-1a 64
 * over `connectionId \u001f dealId \u001f ruleId \u001f openedAt` (UTF-16LE code units).
 * Short and safe to embed in CRM text (lowercase letters and digits only), the same on every
 * run and every worker, so a retried write finds its earlier annotation. `openedAt` makes a
 * finding that resolves and later reopens a new annotation.
 */
export function annotationKey(connectionId: string, dealId: string, ruleId: string, openedAt: string): string {
  const [hi, lo] = fnv1a64(`${connectionId}\u001f${dealId}\u001f${ruleId}\u001f${openedAt}`);
  return `dw:${base32of64(hi, lo)}`;
}

/** Matches annotation keys inside text (for finding our own notes in the CRM). */
export const ANNOTATION_KEY_PATTERN = /dw:[a-z2-7]{13}/g;

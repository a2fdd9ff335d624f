/**
 * Run-time fault injection: a fraction of requests (to all endpoints, one provider, one method, or
 * paths containing a given text) answer 429, 500 or 503, lose their connection before or after
 * being processed, wait longer, or act as if the token had expired. Draws come from a seeded PRNG
 * in request order, so the same seed and the same request sequence give the same faults.
 *
 * `drop` closes the connection before the request is handled (nothing applied); `lost_response`
 * handles the request as usual (a create is applied) and then closes the connection instead of
 * answering: the ambiguous failure a client cannot tell from `drop`. `slow_response` handles the
 * request at once and holds its answer for `latencyMs`: a client that gives up, or a worker killed,
 * meanwhile finds the write applied and its answer never read (where `latency` waits before handling).
 *
 * `concurrent_limit` and `daily_limit` are the two refusals Salesforce sends under one code, 403
 * `REQUEST_LIMIT_EXCEEDED`, told apart by the message ("ConcurrentRequests (Concurrent API Requests)
 * Limit exceeded." / "TotalRequests Limit exceeded."); on HubSpot they are the 429s of the
 * TEN_SECONDLY_ROLLING and DAILY policies.
 */
import { createPrng, deriveSeed, type Prng } from './prng.js';

export type FaultKind =
  '429' | '500' | '503' | 'drop' | 'lost_response' | 'latency' | 'slow_response' | 'expired_token' | 'concurrent_limit' | 'daily_limit';
export const FAULT_KINDS: readonly FaultKind[] = [
  '429',
  '500',
  '503',
  'drop',
  'lost_response',
  'latency',
  'slow_response',
  'expired_token',
  'concurrent_limit',
  'daily_limit',
];

export interface FaultRule {
  kind: FaultKind;
  /** Share of matching requests affected, 0..1. */
  rate: number;
  /** Only this provider's API. */
  provider?: 'hubspot' | 'salesforce';
  /** Only requests whose path contains this text. */
  pathIncludes?: string;
  /** Only requests of this HTTP method (e.g. `POST`: a create, not the PATCH on the same path). */
  method?: string;
  /** For `latency` and `slow_response`: added milliseconds. @defaultValue 500 */
  latencyMs?: number;
  /** Affects at most this many requests (e.g. `rate: 1, limit: 1`: the first matching request only). */
  limit?: number;
}

export interface FaultDecision {
  /** The response fault to answer with, if any (latencies are applied separately; `lost_response` after the handler). */
  kind: Exclude<FaultKind, 'latency' | 'slow_response'> | null;
  /** Waited before the request is handled. */
  addedLatencyMs: number;
  /** Waited after the request is handled, before its answer is sent. */
  heldResponseMs: number;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  /** Requests affected so far, per rule (for `limit`). */
  private hits: number[] = [];
  private rng: Prng;
  constructor(private readonly seed: number) {
    this.rng = createPrng(deriveSeed(seed, 'faults'));
  }

  set(rules: FaultRule[], options: { reseed?: boolean } = {}): void {
    this.rules = rules.map((r) => ({ ...r }));
    this.hits = rules.map(() => 0);
    if (options.reseed ?? true) this.rng = createPrng(deriveSeed(this.seed, 'faults'));
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  decide(provider: 'hubspot' | 'salesforce', path: string, method?: string): FaultDecision {
    const decision: FaultDecision = { kind: null, addedLatencyMs: 0, heldResponseMs: 0 };
    for (const [i, rule] of this.rules.entries()) {
      if (rule.provider && rule.provider !== provider) continue;
      if (rule.pathIncludes && !path.includes(rule.pathIncludes)) continue;
      if (rule.method && rule.method.toUpperCase() !== method?.toUpperCase()) continue;
      // One draw per matching rule keeps the sequence reproducible whatever the outcome.
      const hit = this.rng.next() < rule.rate;
      if (!hit || (rule.limit !== undefined && this.hits[i]! >= rule.limit)) continue;
      if (rule.kind === 'latency') decision.addedLatencyMs += rule.latencyMs ?? 500;
      else if (rule.kind === 'slow_response') decision.heldResponseMs += rule.latencyMs ?? 500;
      else if (decision.kind === null) decision.kind = rule.kind;
      else continue; // an earlier rule's fault answers this request
      this.hits[i] = this.hits[i]! + 1;
    }
    return decision;
  }
}

/**
 * Parses the CLI's `--faults` text: comma-separated `kind:rate[:latencyMs][@provider][^METHOD][~pathText]`,
 * e.g. `429:0.1@hubspot,503:0.05~/search,latency:0.5:200,lost_response:1@salesforce^POST~/composite/sobjects`.
 */
export function parseFaultSpec(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([a-z0-9_]+):([0-9.]+)(?::(\d+))?(?:@(hubspot|salesforce))?(?:\^([A-Za-z]+))?(?:~(.+))?$/.exec(raw);
    if (!match) throw new Error(`invalid fault "${raw}": expected kind:rate[:latencyMs][@provider][^METHOD][~pathText]`);
    const [, kind, rate, latency, provider, method, path] = match;
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`invalid fault kind "${kind}": one of ${FAULT_KINDS.join(', ')}`);
    const r = Number(rate);
    if (!(r >= 0 && r <= 1)) throw new Error(`invalid fault rate "${rate}": between 0 and 1`);
    const rule: FaultRule = { kind: kind as FaultKind, rate: r };
    if (latency !== undefined) rule.latencyMs = Number(latency);
    if (provider !== undefined) rule.provider = provider as 'hubspot' | 'salesforce';
    if (method !== undefined) rule.method = method.toUpperCase();
    if (path !== undefined) rule.pathIncludes = path;
    rules.push(rule);
  }
  return rules;
}

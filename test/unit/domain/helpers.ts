/** Small helpers over the engine for tests. */
import { evaluateDeals, type EngineInput } from '../../../src/domain/engine.js';
import type { Finding } from '../../../src/domain/model/index.js';
import { NOW } from './builders.js';

/** This run's finding of `ruleId` on `dealId`, if any. */
export function finding(inp: EngineInput, ruleId: string, dealId = 'd1', now: number = NOW): Finding | undefined {
  return evaluateDeals(inp, now).findings.find((f) => f.dealId === dealId && f.ruleId === ruleId);
}

/** Rule ids found on a deal. */
export function ruleIds(inp: EngineInput, dealId = 'd1', now: number = NOW): string[] {
  return evaluateDeals(inp, now)
    .findings.filter((f) => f.dealId === dealId)
    .map((f) => f.ruleId);
}

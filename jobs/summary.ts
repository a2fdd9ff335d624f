/** What `dealwatch sync --wait --json` prints: one run and everything it caused, added up. */
import type { JobOutcome, JobResults } from '../src/queue/index.js';

export interface SyncSummary {
  connection: string;
  status: 'ok' | 'partial' | 'failed' | 'skipped';
  deals: number;
  activities: number;
  apiCalls: number;
  findings: { opened: number; resolved: number };
  annotations: { fields: number; notes: number; tasks: number };
  /** Writes computed but not sent (connection in dry-run). */
  planned: number;
  /** Writes the CRM refused or that never reached it; any makes the run `partial`. */
  failedWrites: number;
  /** Why they failed (distinct reasons, each saying what to do where known). */
  writeErrors: string[];
  /** Jobs that failed for good, with their reason. */
  failures: { queue: string; jobId: string; reason: string }[];
}

export function summarize(connection: string, outcomes: readonly JobOutcome[]): SyncSummary {
  const summary: SyncSummary = {
    connection,
    status: 'ok',
    deals: 0,
    activities: 0,
    apiCalls: 0,
    findings: { opened: 0, resolved: 0 },
    annotations: { fields: 0, notes: 0, tasks: 0 },
    planned: 0,
    failedWrites: 0,
    writeErrors: [],
    failures: [],
  };
  for (const o of outcomes) {
    if (o.state === 'failed') {
      summary.failures.push({ queue: o.ref.queue, jobId: o.ref.jobId, reason: o.reason });
      if (o.ref.queue === 'sync') summary.status = 'failed';
      continue;
    }
    if (o.result === null || typeof o.result !== 'object') continue;
    switch (o.ref.queue) {
      case 'sync': {
        const r = o.result as JobResults['sync'];
        summary.status = r.status;
        summary.deals += r.deals;
        summary.activities += r.activities;
        summary.apiCalls += r.apiCalls;
        break;
      }
      case 'score': {
        const r = o.result as JobResults['score'];
        summary.findings.opened += r.opened;
        summary.findings.resolved += r.resolved;
        break;
      }
      case 'writeback': {
        const r = o.result as JobResults['writeback'];
        summary.annotations.fields += r.fields;
        summary.annotations.notes += r.notes;
        summary.annotations.tasks += r.tasks;
        summary.planned += r.planned;
        summary.failedWrites += r.failed ?? 0;
        for (const e of r.errors ?? []) if (!summary.writeErrors.includes(e)) summary.writeErrors.push(e);
        break;
      }
      default:
        break;
    }
  }
  if (summary.status === 'ok' && (summary.failures.length > 0 || summary.failedWrites > 0)) summary.status = 'partial';
  return summary;
}

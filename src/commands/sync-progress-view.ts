/**
 * `dealwatch sync --wait`'s live progress on stderr, read from the sync job's progress: on a
 * terminal one line rewritten in place; elsewhere (a log file, CI) a plain line per phase, so a
 * log never fills with redraws. stdout is left to the result (`--json`: one line).
 */
import { SyncProgress, type QueueSystem } from '../queue/index.js';

const number = new Intl.NumberFormat('en-US');

/** One line: phase, records and pages, API calls, rate-limit waits, the time the calls need at the rate floor. */
export function describeSyncProgress(connectionId: string, p: SyncProgress): string {
  const phase = p.phase === 'done' ? 'synced; scoring and writing back' : p.phase;
  const parts = [
    `${number.format(p.records.deals)} deals, ${number.format(p.records.activities)} activities, ` +
      `${number.format(p.records.history)} history`,
    `${number.format(p.pages)} pages`,
    `${number.format(p.apiCalls)} API calls`,
    `${p.rateLimitWaits.count} rate-limit waits (${p.rateLimitWaits.seconds} s)${p.rateLimited > 0 ? `, ${p.rateLimited} 429s` : ''}`,
  ];
  if (p.rateFloor) parts.push(`calls need >= ${p.rateFloor.secondsForCallsSoFar} s at ${p.rateFloor.requestsPerSecond}/s`);
  parts.push(`${p.elapsedSeconds} s`);
  return `sync ${connectionId}: ${phase} | ${parts.join(' | ')}`;
}

/** A sync job's progress, or null while it has reported none (queued, or not a sync). */
export async function readSyncProgress(queues: Pick<QueueSystem, 'queue'>, jobId: string): Promise<SyncProgress | null> {
  const parsed = SyncProgress.safeParse((await queues.queue('sync').getJob(jobId))?.progress);
  return parsed.success ? parsed.data : null;
}

/** A short form for a line that shows several syncs (the demo). */
export function briefSyncProgress(connectionId: string, p: SyncProgress | null): string {
  if (p === null) return `${connectionId} queued`;
  const phase = p.phase === 'done' ? 'scoring' : p.phase;
  const records = `${number.format(p.records.deals)} deals, ${number.format(p.records.activities)} activities`;
  return `${connectionId} ${phase} ${records}, ${number.format(p.apiCalls)} calls, ${p.rateLimitWaits.count} rate waits`;
}

export interface ProgressView {
  stop(): Promise<void>;
}

/** Polls the sync job's progress every `everyMs` and shows it on `stream` until stopped. */
export function showSyncProgress(
  queues: Pick<QueueSystem, 'queue'>,
  connectionId: string,
  jobId: string,
  stream: NodeJS.WriteStream = process.stderr,
  everyMs = 500,
): ProgressView {
  const tty = stream.isTTY === true;
  let lastPhase: string | null = null;
  let drawn = false;
  let stopped = false;
  const draw = async () => {
    const progress = await readSyncProgress(queues, jobId);
    if (progress === null) return;
    const line = describeSyncProgress(connectionId, progress);
    if (tty) {
      stream.write(`\r\x1b[K${line}`);
      drawn = true;
    } else if (progress.phase !== lastPhase) {
      stream.write(`${line}\n`);
    }
    lastPhase = progress.phase;
  };
  let failure: unknown = null;
  const loop = (async () => {
    while (!stopped) {
      await draw();
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })().catch((err: unknown) => {
    // Reading the queue failed: the wait for the sync fails on the same store; say so at the end.
    failure = err;
  });
  return {
    async stop() {
      stopped = true;
      await loop;
      if (drawn) stream.write('\n');
      if (failure) throw failure;
    },
  };
}

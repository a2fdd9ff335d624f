/** The queues: the pipeline's four (docs/architecture.md) and the scheduled digests. */
export const QUEUE_NAMES = ['sync', 'events', 'score', 'writeback', 'digest'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Default key prefix. The braces are a Redis Cluster hash tag: every key of every queue hashes to
 * one slot, which BullMQ's multi-key scripts need. The PostgreSQL backend stores it as a plain name.
 */
export const DEFAULT_QUEUE_PREFIX = '{dealwatch}';

/**
 * A job id safe on both backends: BullMQ reserves `:` in custom ids (Redis key separator), and
 * purely numeric ids collide with generated ones.
 */
export function jobIdOf(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}

/**
 * A sync run as it appears in job ids: its database id and its start instant. The id alone repeats
 * after a database is restored from a backup (or recreated) while the queue still keeps the jobs of
 * the first run by that id, and BullMQ would drop the new run's jobs as duplicates.
 */
export function runTag(runId: number, startedAt: string | undefined): string {
  const ms = startedAt === undefined ? Number.NaN : Date.parse(startedAt);
  return Number.isNaN(ms) ? String(runId) : `${runId}.${ms.toString(36)}`;
}

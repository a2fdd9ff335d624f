/**
 * Where each kind of key lives in Redis (docs/architecture.md, "Key layout").
 *
 * A Redis Cluster puts a key on the master that owns its slot; a `{hash tag}` makes keys share one
 * slot. BullMQ's scripts touch several keys of a queue at once, so each queue keeps its keys under
 * one tag. Everything else takes the spread it can:
 *
 * - on a cluster, each queue has its own tag (`{<install>:sync}`, `{<install>:events}`, ...), so the
 *   four queues land on different slots and, with three or more masters, mostly on different masters;
 *   rate-gate and lease keys are single keys with no tag, so each hashes by itself; a webhook claim's
 *   two keys share its connection's tag (`{<connection>}`, set by the ingest);
 * - on one server or a Sentinel-watched master there are no slots: the keys keep the names they always
 *   had (`<prefix>:<install>:<queue>:...`), so an existing install upgrades with its jobs in place.
 *
 * Braces in `DEALWATCH_QUEUE_PREFIX` are dropped on a cluster: dealwatch places the tags itself.
 */
import type { QueueName } from './names.js';
import type { RedisMode } from './redis.js';

export interface KeyLayout {
  /** BullMQ `prefix` of one queue. */
  queuePrefix(queue: QueueName): string;
  /** Rate-gate keys start with this (then `:<bucket>:<connection>:<sub-window>`). */
  readonly rateGates: string;
  /** Lease keys start with this (then `:<lease name>`). */
  readonly leases: string;
  /** Webhook dedupe keys start with this (then `{<connection>}:e:...`). */
  readonly webhookDedupe: string;
}

/** The layout for a backend: `cluster` spreads, every other mode keeps the one-slot names. */
export function keyLayout(prefix: string, installId: string | undefined, mode: RedisMode | 'postgres'): KeyLayout {
  if (mode === 'cluster') {
    const base = prefix.replace(/[{}]/g, '') || 'dealwatch';
    const install = installId ? `${base}:${installId}` : base;
    return {
      queuePrefix: (queue) => `{${install}:${queue}}`,
      rateGates: `${install}:rl`,
      leases: `${install}:lease`,
      webhookDedupe: `${install}:webhook-dedupe:`,
    };
  }
  const install = installId ? `${prefix}:${installId}` : prefix;
  return {
    queuePrefix: () => install,
    rateGates: `${install}:rl`,
    leases: `${install}:lease`,
    webhookDedupe: `${install}:webhook-dedupe:`,
  };
}

/**
 * `dealwatch sync <connection> [--full] [--wait] [--json]`: enqueues the same sync job the nightly
 * scheduler does. With `--wait` it returns once the sync and the scoring and write-back it caused
 * have finished, showing the sync's progress on stderr as it goes (./sync-progress-view.ts); with
 * `--json` it prints one line. When no worker is running (no `dealwatch start`
 * or `worker`), it runs the workers in this process for the duration.
 */
import { redisTargetOf } from '../queue/redis.js';
import { openPipeline } from '../../jobs/runtime.js';
import { summarize } from '../../jobs/summary.js';
import { DealwatchError } from '../domain/errors.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import { showSyncProgress } from './sync-progress-view.js';
import type { SyncOptions } from './types.js';

export async function run(options: SyncOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = configFrom(options);
  const settings = config.connections.find((c) => c.id === options.connection);
  if (!settings) {
    throw new DealwatchError(
      'NOT_FOUND',
      `no connection "${options.connection}" in the configuration (known: ${config.connections.map((c) => c.id).join(', ') || 'none'})`,
    );
  }
  const logger = commandLogger(config);
  const store = await storeFrom(config, logger);
  try {
    await store.connections.upsertFromConfig(config.connections);
    const pipeline = await openPipeline({
      store,
      connections: config.connections,
      logger,
      redis: redisTargetOf(config),
      prefix: config.queuePrefix,
    });
    try {
      const running = await pipeline.queues.workerCount();
      const inProcess = running === 0 && options.wait;
      if (inProcess) {
        logger.info('no worker is running: running the workers in this process');
        pipeline.startWorkers();
      }
      const job = await pipeline.queues.enqueue('sync', {
        connectionId: settings.id,
        mode: options.full ? 'full' : 'incremental',
        trigger: 'cli',
      });
      if (!options.wait) {
        const line = { connection: settings.id, jobId: job.jobId, coalesced: job.coalesced, workers: running };
        const joined = job.coalesced ? ' (joined the one already queued)' : '';
        const noWorker = running === 0 ? '; no worker is running, start one with `dealwatch worker`' : '';
        out.write(options.json ? `${JSON.stringify(line)}\n` : `sync of ${settings.id} queued as ${job.jobId}${joined}${noWorker}\n`);
        return 0;
      }
      // Live progress on stderr (stdout keeps the one result line of --json).
      const view = showSyncProgress(pipeline.queues, settings.id, job.jobId);
      let outcomes;
      try {
        outcomes = await pipeline.queues.waitForAll(job, { timeoutMs: 6 * 3600_000 });
      } finally {
        await view.stop();
      }
      const s = summarize(settings.id, outcomes);
      if (options.json) {
        const { connection, status, deals, activities, apiCalls, findings, annotations } = s;
        const { planned, failedWrites, writeErrors } = s;
        const line = { connection, status, deals, activities, apiCalls, findings, annotations, planned, failedWrites, writeErrors };
        out.write(`${JSON.stringify(line)}\n`);
      } else {
        out.write(
          `${s.connection}: ${s.status}; ${s.deals} deals, ${s.activities} activities, ${s.apiCalls} API calls; ` +
            `findings +${s.findings.opened} / -${s.findings.resolved}; ` +
            `written: ${s.annotations.fields} fields, ${s.annotations.notes} notes, ${s.annotations.tasks} tasks` +
            `${s.planned > 0 ? `; planned (dry-run): ${s.planned}` : ''}\n`,
        );
        if (s.failedWrites > 0) out.write(`  ${s.failedWrites} writes failed: ${s.writeErrors.join('; ')}\n`);
        for (const f of s.failures) out.write(`  failed ${f.queue} job ${f.jobId}: ${f.reason}\n`);
      }
      return s.status === 'ok' ? 0 : 1;
    } finally {
      await pipeline.close({ graceMs: 10_000 });
    }
  } finally {
    await store.close();
  }
}

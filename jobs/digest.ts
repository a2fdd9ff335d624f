/**
 * The `digest` processor: one job per digest and schedule tick. It sends the digest on every
 * channel the send ledger does not yet record for that tick (src/digest/deliver.ts), so a retry
 * after a failed channel, or after a crash, sends only what did not go out.
 */
import { ConfigError } from '../src/domain/errors.js';
import { digestIdOf } from '../src/domain/model/index.js';
import { deliverDigest } from '../src/digest/deliver.js';
import type { JobContext, JobPayload, JobResults } from '../src/queue/index.js';
import { createReviewService } from '../src/server/review-service.js';
import type { PipelineDeps } from './deps.js';
import { settingsOf } from './deps.js';
import { metricsOf } from './metrics.js';

export function createDigestProcessor(deps: PipelineDeps) {
  const log = deps.logger.child({ module: 'digest' });
  return async (payload: JobPayload<'digest'>, context: JobContext): Promise<JobResults['digest']> => {
    const digests = deps.digests;
    const digest = digests?.digests().find((d) => digestIdOf(d) === payload.digestId);
    if (digests === undefined || digest === undefined) {
      throw new ConfigError([`digests: no digest "${payload.digestId}" is configured`]);
    }
    const settings = settingsOf(deps, digest.connection);
    const tickMs = payload.tick !== undefined ? Date.parse(payload.tick) : (context.scheduledAt ?? deps.clock().getTime());
    const reviews = createReviewService({
      store: deps.store,
      connections: { list: deps.connections, get: (id) => deps.connections().find((c) => c.id === id) },
    });
    const result = await deliverDigest(
      {
        store: deps.store,
        reviews,
        publicUrl: digests.publicUrl,
        smtpUrl: digests.smtpUrl,
        digestFrom: digests.digestFrom,
        metrics: metricsOf(deps),
        logger: log,
      },
      settings,
      digest,
      new Date(tickMs),
    );
    return {
      connectionId: settings.id,
      digestId: result.digestId,
      tick: result.tick,
      sent: result.sent,
      skipped: result.skipped,
      followUps: [],
    };
  };
}

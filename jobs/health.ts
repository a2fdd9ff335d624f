/**
 * Connection health from job outcomes: an auth or configuration failure pauses the connection at
 * once (it needs a person); a connection whose syncs fail `maxConsecutiveFailures` times in a row
 * is paused too, with the reason logged. A successful sync resets the count.
 */
import type { WorkerHooks } from '../src/queue/index.js';
import type { PipelineDeps } from './deps.js';

export function connectionHealthHooks(deps: Pick<PipelineDeps, 'store' | 'logger' | 'clock'>, maxConsecutiveFailures = 5): WorkerHooks {
  const log = deps.logger.child({ module: 'health' });
  return {
    async onSucceeded(queue, connectionId) {
      if (queue === 'sync') await deps.store.connectionState.recordSuccess(connectionId, deps.clock().toISOString());
    },
    async onFailedForGood(queue, connectionId, reason, unrecoverable) {
      // A digest that cannot go out (no SMTP_URL, Slack refusing) is logged and counted by the
      // queue and the digest itself; the connection's syncs and write-backs are fine and go on.
      if (queue === 'digest') return;
      const at = deps.clock().toISOString();
      if (unrecoverable) {
        const paused = await deps.store.connectionState.pause(connectionId, `needs attention: ${reason}`, at).then(
          () => true,
          (err: unknown) => {
            log.error({ connection: connectionId, queue, reason, err }, 'connection needs attention but could not be paused');
            return false;
          },
        );
        if (paused) log.error({ connection: connectionId, queue, reason }, 'connection paused: needs attention');
        return;
      }
      if (queue !== 'sync') return;
      const failures = await deps.store.connectionState.recordFailure(connectionId, at);
      if (failures >= maxConsecutiveFailures) {
        await deps.store.connectionState.pause(connectionId, `${failures} syncs failed in a row; last: ${reason}`, at);
        log.error({ connection: connectionId, failures, reason }, 'connection paused after repeated failures');
      }
    },
  };
}

/** A logger that says nothing (src/logger.ts `Log`), for processors and queues under test. */
import type { Log } from '../../src/logger.js';

export function silentLogger(): Log {
  const noop = () => undefined;
  const logger: Log = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return logger;
}

/** `dealwatch resume <connection>`: clears a connection's pause once its cause is fixed. */
import { DealwatchError } from '../domain/errors.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import type { ResumeOptions } from './types.js';

export async function run(options: ResumeOptions): Promise<number> {
  const config = configFrom(options);
  if (!config.connections.some((connection) => connection.id === options.connection)) {
    throw new DealwatchError('NOT_FOUND', `no connection "${options.connection}" in the configuration`);
  }
  const store = await storeFrom(config, commandLogger(config));
  try {
    const state = await store.connectionState.get(options.connection);
    await store.connectionState.resume(options.connection);
    process.stdout.write(
      state.pausedReason === null
        ? `${options.connection} was not paused\n`
        : `${options.connection} resumed (was paused since ${state.pausedAt ?? '?'}: ${state.pausedReason})\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

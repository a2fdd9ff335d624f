/** What most commands start with: the configuration, a logger and the store. */
import { pino } from 'pino';
import type { DigestDeps } from '../../jobs/deps.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { openStore, type OpenStoreOptions, type Store } from '../store/index.js';
import type { GlobalOptions } from './types.js';

/** Loads and validates the configuration named by `--config` or `DEALWATCH_CONFIG`. Throws `ConfigError`. */
export function configFrom(options: GlobalOptions): Config {
  return loadConfig({ configPath: options.config });
}

/**
 * Logger of a one-shot command: to stderr, so stdout carries only the command's output (tables,
 * `--json` lines). Long-running commands (start, serve, worker) log to stdout with `createLogger`.
 */
export function commandLogger(config: Pick<Config, 'logLevel'>): Logger {
  return createLogger({ level: config.logLevel, destination: pino.destination({ dest: 2, sync: true }), pretty: process.stderr.isTTY === true });
}

/** Opens the store the configuration names (a server, or the embedded database under `dataDir`). */
export function storeFrom(config: Config, logger: Logger, options: Omit<OpenStoreOptions, 'databaseUrl' | 'dataDir' | 'logger'> = {}): Promise<Store> {
  return openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, ...options });
}

/** What the digest jobs need from the configuration (links go to `publicUrl`, else the server's address). */
export function digestDepsFrom(config: Config, publicUrl: string | null): DigestDeps {
  return { digests: () => config.digests, publicUrl, smtpUrl: config.smtpUrl, digestFrom: config.digestFrom };
}

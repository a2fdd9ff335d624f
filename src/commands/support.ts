/**
 * What the commands share: the configuration, a logger, the store, the configured connections, the
 * public URL, and waiting for a signal to stop (every long-running command ends the same way).
 */
import { pino } from 'pino';
import type { DigestDeps } from '../../jobs/deps.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { openStore, type OpenStoreOptions, type Store } from '../store/index.js';
import type { ConnectionDirectory } from '../server/ports.js';
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
  return createLogger({
    level: config.logLevel,
    destination: pino.destination({ dest: 2, sync: true }),
    pretty: process.stderr.isTTY === true,
  });
}

/** Opens the store the configuration names (a server, or the embedded database under `dataDir`). */
export function storeFrom(
  config: Config,
  logger: Logger,
  options: Omit<OpenStoreOptions, 'databaseUrl' | 'dataDir' | 'logger'> = {},
): Promise<Store> {
  return openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, ...options });
}

/** What the digest jobs need from the configuration (links go to `publicUrl`, else the server's address). */
export function digestDepsFrom(config: Config, publicUrl: string | null): DigestDeps {
  return { digests: () => config.digests, publicUrl, smtpUrl: config.smtpUrl, digestFrom: config.digestFrom };
}

/** The configured connections, by id. */
export function connectionDirectory(config: Pick<Config, 'connections'>): ConnectionDirectory {
  const byId = new Map(config.connections.map((c) => [c.id, c]));
  return { list: () => config.connections, get: (id) => byId.get(id) };
}

/** `publicUrl` from the file or PUBLIC_URL; else what the server binds (fine without a proxy). */
export function publicUrlOf(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  const url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  return url.replace(/\/+$/, '');
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

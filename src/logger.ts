/**
 * The one way dealwatch builds a logger: pino, JSON lines by default, pretty only when writing
 * to a terminal, secrets redacted. Modules take a child: `logger.child({ module: 'sync' })`.
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * The logger every module takes: pino's shape (a pino `Logger` is one), so that a test can hand in a
 * silent or recording one. Connectors, jobs, queues and the sandbox all log through this type.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

/**
 * Property names whose values never reach a log line, at any depth up to {@link REDACT_DEPTH}
 * (`{ auth: { clientSecret } }`, `{ req: { headers: { authorization } } }`, ...).
 */
export const SECRET_KEYS = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'token',
  'tokens',
  'apiToken',
  'apiTokens',
  'secret',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'outboundMessageToken',
  'password',
  'passwd',
  'privateKey',
  'private_key',
  'authorization',
  'Authorization',
  'cookie',
  'webhookUrl',
  'smtpUrl',
] as const;

/** Nesting depth the redaction paths cover: `a.b.c.d.password` is depth 4. */
export const REDACT_DEPTH = 4;

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Redaction paths for each key at depths 0..depth (`password`, `*.password`, `*.*.password`, ...):
 * a pino wildcard matches exactly one level, so every depth needs its own path.
 */
export function redactPaths(keys: readonly string[] = SECRET_KEYS, depth = REDACT_DEPTH): string[] {
  return keys.flatMap((key) => Array.from({ length: depth + 1 }, (_, level) => `${'*.'.repeat(level)}${key}`));
}

export interface LoggerOptions {
  /** @defaultValue `LOG_LEVEL`, else "info" */
  level?: LevelWithSilent | undefined;
  /** Where lines go; tests pass a stream to capture them. @defaultValue stdout */
  destination?: DestinationStream | NodeJS.WritableStream | undefined;
  /** Human-readable lines. @defaultValue true only when writing to stdout and stdout is a TTY */
  pretty?: boolean | undefined;
  /** Bindings on every line. @defaultValue none (no pid/hostname noise) */
  base?: Record<string, unknown> | undefined;
}

/** Builds the root logger; everything else logs through `logger.child({ module })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const pinoOptions = {
    level,
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: REDACTED },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (pretty) {
    // In-thread pino-pretty rather than a transport worker: CLI output stays in order with console output.
    const prettyStream = pinoPretty({
      colorize: options.destination === undefined,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      ...(options.destination === undefined ? {} : { destination: options.destination }),
    });
    return pino(pinoOptions, prettyStream);
  }
  return pino(pinoOptions, (options.destination ?? pino.destination({ dest: 1, sync: false })) as DestinationStream);
}

/**
 * The contract between `src/cli.ts` and the command modules. `dealwatch <name>` imports
 * `src/commands/<name>.ts` and calls its `run` with the parsed options (global ones included).
 *
 * `run` resolves when the command is done (long-running ones such as `start` resolve after a
 * graceful shutdown on SIGINT/SIGTERM) with the process exit code; the CLI then exits with it.
 * Throwing a `ConfigError` exits 2 with one line per problem; any other `DealwatchError` exits 1
 * with its code and message; nothing prints a stack trace unless `LOG_LEVEL` is `debug` or `trace`.
 */
export interface GlobalOptions {
  /** `--config PATH`; falls back to `DEALWATCH_CONFIG` (see src/config.ts). */
  config?: string | undefined;
}

export type StartOptions = GlobalOptions;
export type ServeOptions = GlobalOptions;
export type WorkerOptions = GlobalOptions;
export type MigrateOptions = GlobalOptions;

export interface SyncOptions extends GlobalOptions {
  connection: string;
  /** Ignore cursors and reconcile deletions. */
  full: boolean;
  /** Return once the sync and the scoring and write-back it caused have finished. */
  wait: boolean;
  /** Print one JSON line (with `--wait`: the run's outcome). */
  json: boolean;
}

export interface ReportOptions extends GlobalOptions {
  connection: string;
  json: boolean;
}

export interface DigestOptions extends GlobalOptions {
  connection: string;
  /** Only this team's reps. */
  team?: string | undefined;
  /** Send on the configured digest's channels instead of printing. */
  send: boolean;
  /** Print one JSON line. */
  json: boolean;
}

export interface BacktestOptions extends GlobalOptions {
  connection: string;
  /** Complete past quarters to replay (default 4). */
  quarters?: number | undefined;
  json: boolean;
}

export interface DemoOptions extends GlobalOptions {
  json: boolean;
  /** Leave the server and the sandbox running afterwards. */
  keep: boolean;
}

export interface SandboxOptions extends GlobalOptions {
  port?: number | undefined;
  seed?: string | undefined;
  deals?: number | undefined;
  /** Fault injection spec, e.g. `429:0.1,500:0.05`. */
  faults?: string | undefined;
  /** `--no-rate-limit` sets this to false. */
  rateLimit: boolean;
  latency?: number | undefined;
  webhookUrl?: string | undefined;
  json: boolean;
}

export interface ResumeOptions extends GlobalOptions {
  connection: string;
}

export interface DoctorOptions extends GlobalOptions {
  /** Ask connectors to create missing custom fields where they can. */
  fix: boolean;
  json: boolean;
}

/** What every `src/commands/<name>.ts` exports. */
export interface CommandModule<O extends GlobalOptions> {
  run(options: O): Promise<number | void>;
}

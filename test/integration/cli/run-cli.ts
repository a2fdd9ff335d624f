import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of a spawned CLI: none of the caller's dealwatch settings leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'REDIS_CLUSTER_NODES',
    'REDIS_SENTINELS',
    'REDIS_SENTINEL_NAME',
    'REDIS_PASSWORD',
    'DEALWATCH_CONFIG',
    'DEALWATCH_DATA_DIR',
    'PORT',
    'HOST',
    'LOG_LEVEL',
    'PUBLIC_URL',
    'DEALWATCH_API_TOKENS',
    'DEALWATCH_METRICS_PORT',
    'DEALWATCH_CONCURRENCY',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** Runs `node <entry> ...args` (entry: src/cli.ts through tsx, or a built cli.js). */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; entry?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const entry = options.entry ?? 'src/cli.ts';
  const nodeArgs = entry.endsWith('.ts') ? ['--import', 'tsx', entry, ...args] : [entry, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningCli {
  /** Every stdout line so far (JSON log lines for the long-running commands). */
  readonly lines: string[];
  stderr(): string;
  /** The first stdout line that parses as JSON with this `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running command (`start`, `serve`, `worker`) and collects its log lines. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const find = (msg: string) => {
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) return parsed;
      } catch {
        // not a JSON line
      }
    }
    return undefined;
  };
  return {
    lines,
    stderr: () => stderr,
    waitForLog: (msg, timeoutMs = 110_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = find(msg);
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no "${msg}" log line in time:\n${lines.slice(-20).join('\n')}\n${stderr.slice(-2000)}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited (${code}) before "${msg}":\n${lines.slice(-20).join('\n')}\n${stderr.slice(-2000)}`));
          }
        });
        listeners.add(check);
        check();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Runs the `dealwatch` CLI as a child process: a one-shot command to its end (`runDealwatch`), or a
 * long-running one (`start`, `serve`, `worker`) until the log line that says it is up, stopped with
 * SIGTERM. Logs (JSON lines on stdout) are kept for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { POSTGRES_URL, uniqueName } from '../../support/services.js';

export interface DealwatchProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  lines: string[];
  /** The `url` field of the ready line, when it has one. */
  url: string | undefined;
  stop(): Promise<number | null>;
}

/**
 * Runs a one-shot command (`sync`, `demo`, ...) to its end and returns its exit code and output;
 * `started` sees the child as soon as it is spawned (a bench samples its memory).
 */
export function runDealwatch(
  args: string[],
  env: NodeJS.ProcessEnv,
  started?: (child: ChildProcess) => void,
  nodeFlags: readonly string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/cli.ts', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function spawnDealwatch(args: string[], env: NodeJS.ProcessEnv, readyMessage: string): Promise<DealwatchProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dealwatch ${args[0]} did not start:\n${lines.slice(-30).join('\n')}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.includes(readyMessage)) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url?: string }).url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dealwatch ${args[0]} exited (${code}) before it was ready:\n${lines.slice(-30).join('\n')}`));
    });
  });
  return {
    child,
    lines,
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The environment of a CLI child: no inherited DATABASE_URL / REDIS_URL unless given. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', LOG_LEVEL: 'info', ...vars };
}

/** A new, empty PostgreSQL database on the test server (a separate install); drop it after. */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName('dwdb');
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** GET/POST with the API token; throws on a non-2xx answer with its body. */
export function apiClient(base: string, token: string) {
  return async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return { status: response.status, body: JSON.parse(text) as T };
  };
}

/** Polls `GET /api/v1/jobs/:id` until the job is completed or failed (or the time is up). */
export async function pollJob(
  api: ReturnType<typeof apiClient>,
  jobId: string,
  timeoutMs = 90_000,
): Promise<{ state: string; result: unknown; failedReason: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<{ state: string; result: unknown; failedReason: string | null }>(
      'GET',
      `/api/v1/jobs/${encodeURIComponent(jobId)}`,
    );
    if (body.state === 'completed' || body.state === 'failed' || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** What `GET /api/v1/connections` says of one connection's status and last run. */
export interface ConnectionStatusView {
  id: string;
  status: string;
  lastSyncRun: { status: string; error: string | null; counts: Record<string, number> };
}

/** Starts `dealwatch serve` on `env`, reads one connection from `GET /api/v1/connections`, stops it. */
export async function connectionOverHttp(env: NodeJS.ProcessEnv, token: string, id: string): Promise<ConnectionStatusView | undefined> {
  const serve = await spawnDealwatch(['serve'], env, 'dealwatch server listening');
  try {
    const { body } = await apiClient(serve.url!, token)<{ items: ConnectionStatusView[] }>('GET', '/api/v1/connections');
    return body.items.find((c) => c.id === id);
  } finally {
    const code = await serve.stop();
    if (code !== 0) throw new Error(`dealwatch serve exited ${code}`);
  }
}

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
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'DEALWATCH_CONFIG', 'DEALWATCH_DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL', 'PUBLIC_URL', 'DEALWATCH_API_TOKENS']) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** Runs `node <entry> ...args` (entry: src/cli.ts through tsx, or a built cli.js). */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; entry?: string; timeoutMs?: number } = {}): Promise<CliResult> {
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

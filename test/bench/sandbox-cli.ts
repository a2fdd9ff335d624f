/**
 * The sandbox as its own process started through the CLI (`dealwatch sandbox --json`), so a bench's memory figures are
 * dealwatch's alone: started with a book of `deals` per provider, read through the one JSON line it
 * prints (URLs and credentials, see src/commands/sandbox.ts `readyLine`), driven through its admin
 * surface.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What `dealwatch sandbox --json` prints once it listens. */
export interface SandboxReadyLine {
  hubspot: { baseUrl: string; accessToken: string; webhookSecret: string; portalId: number; appId: number };
  salesforce: Record<string, string>;
  admin: string;
}

export interface RunningSandbox extends SandboxReadyLine {
  process: ChildProcess;
}

export interface SandboxProcessOptions {
  deals: number;
  seed: number;
  /** The providers' rate limits; `false` passes `--no-rate-limit`. */
  rateLimit: boolean;
  webhookUrl?: string;
}

export async function spawnSandbox(options: SandboxProcessOptions): Promise<RunningSandbox> {
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const args = ['sandbox', '--deals', String(options.deals), '--seed', String(options.seed), '--json'];
  if (!options.rateLimit) args.push('--no-rate-limit');
  if (options.webhookUrl) args.push('--webhook-url', options.webhookUrl);
  // A 100,000-deal book for each provider is beyond Node's default heap.
  const child = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', cli, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (!line.startsWith('{')) continue;
    return { ...(JSON.parse(line) as SandboxReadyLine), process: child };
  }
  throw new Error('the sandbox exited before printing its URLs');
}

export async function stopSandbox(sandbox: RunningSandbox): Promise<void> {
  if (sandbox.process.exitCode !== null || sandbox.process.signalCode !== null) return;
  const exited = new Promise((resolve) => sandbox.process.once('exit', resolve));
  sandbox.process.kill('SIGTERM');
  await exited;
}

/** POSTs to the sandbox's admin surface; throws on a non-2xx answer. */
export async function sandboxAdmin(sandbox: SandboxReadyLine, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${sandbox.admin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox admin ${path}: ${response.status} ${await response.text()}`);
}

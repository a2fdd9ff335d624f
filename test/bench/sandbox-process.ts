/**
 * The sandbox in its own process, so a bench's figures are dealwatch's own (the sandbox's HTTP
 * handling and webhook deliveries do not share dealwatch's event loop or core). Run as a script it
 * starts a sandbox from the JSON options in argv[2] and prints one ready line; imported, it spawns
 * that script and drives the sandbox through its admin surface.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startSandbox, type SandboxOptions } from '../../src/sandbox/index.js';

export interface SandboxProcess {
  hubspot: { baseUrl: string; accessToken: string; webhookSecret: string; portalId: number | string; appId: number | string };
  admin: string;
  /** POST to the admin surface (`/hubspot/deals/:id/stage`, `/flush`...). */
  post(path: string, body?: unknown): Promise<unknown>;
  get<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

type ChildOptions = Pick<
  SandboxOptions,
  'deals' | 'seed' | 'rateLimit' | 'webhookUrl' | 'deliveryBatchDelayMs' | 'hubspotCustomProperties' | 'latencyMs'
>;

export async function spawnSandboxProcess(options: ChildOptions): Promise<SandboxProcess> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code} before it was ready`)));
  });
  const info = JSON.parse(line) as Pick<SandboxProcess, 'hubspot' | 'admin'>;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${info.admin}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`sandbox admin ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  return {
    ...info,
    post: (path, body) => call('POST', path, body ?? {}),
    get: <T>(path: string) => call('GET', path) as Promise<T>,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sandbox = await startSandbox(JSON.parse(process.argv[2] ?? '{}') as ChildOptions);
  const { hubspot: h } = sandbox;
  const hubspot = { baseUrl: h.baseUrl, accessToken: h.accessToken, webhookSecret: h.webhookSecret, portalId: h.portalId, appId: h.appId };
  process.stdout.write(`${JSON.stringify({ hubspot, admin: sandbox.adminUrl })}\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Spawns worker-process.ts for a harness and waits until its workers are ready. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Harness } from './harness.js';

export interface SpawnedWorker {
  child: ChildProcess;
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function spawnWorker(h: Harness, extraEnv: Record<string, string> = {}): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/pipeline/worker-process.ts'], {
    env: { ...process.env, ...h.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${err.slice(-1000)}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({
          child,
          stderr: () => err,
          kill: async (signal) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${err.slice(-1000)}`));
    });
  });
}

/** `dealwatch sandbox`: a placeholder until the sandbox (issue 3) replaces this file. */
import type { SandboxOptions } from './types.js';

export async function run(_options: SandboxOptions): Promise<number> {
  process.stderr.write('sandbox: not available yet\n');
  return 1;
}

/** `dealwatch start`: a placeholder until the pipeline (issue 6) replaces this file. */
import type { StartOptions } from './types.js';

export async function run(_options: StartOptions): Promise<number> {
  process.stderr.write('start: not available yet\n');
  return 1;
}

/** `dealwatch worker`: a placeholder until the pipeline (issue 6) replaces this file. */
import type { WorkerOptions } from './types.js';

export async function run(_options: WorkerOptions): Promise<number> {
  process.stderr.write('worker: not available yet\n');
  return 1;
}

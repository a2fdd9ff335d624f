/** `dealwatch sync`: a placeholder until the pipeline (issue 6) replaces this file. */
import type { SyncOptions } from './types.js';

export async function run(_options: SyncOptions): Promise<number> {
  process.stderr.write('sync: not available yet\n');
  return 1;
}

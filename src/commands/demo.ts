/** `dealwatch demo`: a placeholder until the pipeline (issue 6) replaces this file. */
import type { DemoOptions } from './types.js';

export async function run(_options: DemoOptions): Promise<number> {
  process.stderr.write('demo: not available yet\n');
  return 1;
}

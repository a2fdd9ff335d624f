import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const COMMANDS = ['start', 'serve', 'worker', 'sync', 'report', 'demo', 'sandbox', 'migrate', 'resume', 'doctor'];

/** Lines of the help's command list: `name [args]   summary`. */
function commandLines(help: string): Map<string, string> {
  const section = help.split('Commands:')[1] ?? '';
  return new Map(
    section
      .split('\n')
      .map((line) => /^ {2}(\S+)(?: [^ ]+)*? {2,}(\S.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}

describe('dealwatch --help', () => {
  // Built into a private directory (not dist/) so parallel runs and a developer's dist don't collide;
  // under node_modules so that the build finds the project's dependencies.
  const outDir = path.join(ROOT, 'node_modules', '.cache', `dealwatch-help-${process.pid}`);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('lists every command with one line each, from the built file', { timeout: 180_000 }, async () => {
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: ROOT,
    }).catch((error: { stdout?: string }) => {
      // tsc emits despite type errors elsewhere in the tree; only a missing cli.js fails this test.
      console.warn(`tsc reported errors:\n${error.stdout ?? ''}`);
    });
    const result = await runCli(['--help'], { entry: path.join(outDir, 'src/cli.js') });
    expect(result.code).toBe(0);
    const lines = commandLines(result.stdout);
    for (const name of COMMANDS) expect(lines.get(name), name).toMatch(/\w/);
  });

  it('works without a build through tsx (npm run dealwatch)', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect([...commandLines(result.stdout).keys()]).toEqual([...COMMANDS, 'help']);
  });

  it('says which commands are not available yet instead of failing obscurely', async () => {
    const result = await runCli(['sync', 'acme', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--full');
    expect(result.stdout).toContain('--wait');
    expect(result.stdout).toContain('--json');
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './run-cli.js';

const COMMANDS = ['start', 'serve', 'worker', 'sync', 'report', 'digest', 'backtest', 'demo', 'sandbox', 'migrate', 'resume', 'doctor'];

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

describe('dealwatch --help', { timeout: 90_000 }, () => {
  // Built with the project's build settings into a private directory (not dist/, so parallel runs
  // and a developer's dist don't collide), under node_modules so the build finds the dependencies.
  // Only src/cli.ts is a root: commands are imported lazily, so --help needs nothing else, and the
  // build takes seconds instead of compiling the whole tree.
  const outDir = path.join(ROOT, 'node_modules', '.cache', `dealwatch-help-${process.pid}`);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('lists every command with one line each, from the built file', { timeout: 120_000 }, async () => {
    mkdirSync(outDir, { recursive: true });
    const tsconfig = path.join(outDir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.build.json'),
        compilerOptions: { outDir, rootDir: ROOT, tsBuildInfoFile: null },
        files: [path.join(ROOT, 'src/cli.ts')],
        include: [],
      }),
    );
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: ROOT });
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

  it("shows a command's own options", async () => {
    const result = await runCli(['sync', 'acme', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--full');
    expect(result.stdout).toContain('--wait');
    expect(result.stdout).toContain('--json');
  });
});

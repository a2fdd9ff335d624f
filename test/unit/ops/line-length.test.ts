/**
 * No line of a tracked source file (.ts, .js, .mjs, .cjs) is longer than 140 characters, the
 * printWidth prettier formats to. Prettier does not break strings, template literals, comments or
 * regular expressions, so a long one stays long after `npm run format`: split it by hand (a string
 * into `+` parts or named values, a comment over several lines, a URL on a comment line of its own).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAX = 140;

/** Tracked source files, relative to the repository root (files deleted in the working copy left out). */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.js', '*.mjs', '*.cjs'], { cwd: ROOT, encoding: 'utf8' });
  return listed
    .split('\0')
    .filter((f) => f !== '' && !f.split('/').includes('node_modules'))
    .filter((f) => existsSync(path.join(ROOT, f)));
}

describe('line length', () => {
  it(`keeps every line of tracked .ts/.js/.mjs/.cjs files within ${MAX} characters`, () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const long: string[] = [];
    for (const file of files) {
      readFileSync(path.join(ROOT, file), 'utf8')
        .split(/\r?\n/)
        .forEach((line, i) => {
          if (line.length > MAX) long.push(`${file}:${i + 1} (${line.length} characters)`);
        });
    }
    expect(long, `lines over ${MAX} characters:\n${long.join('\n')}`).toEqual([]);
  });
});

/**
 * The README's reference tables are checked against the code, so that a variable, a default, a
 * command, a flag, a connection field or a metric cannot drift from what the program does: the
 * environment table against the config schema (its defaults included) and every variable the
 * source reads; the commands table against the CLI's own command definitions (what `--help`
 * prints); the connection fields table against the connection schemas and the connectors'
 * field defaults; the metrics table against the declared metric families.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DISCOUNT_PROPERTY, DEFAULT_FLAGS_PROPERTY, DEFAULT_SCORE_PROPERTY } from '../../../connectors/hubspot/mappers.js';
import { DEFAULT_DISCOUNT_FIELD, DEFAULT_FLAGS_FIELD, DEFAULT_SCORE_FIELD } from '../../../connectors/salesforce/connector.js';
import { publicUrlOf } from '../../../src/commands/support.js';
import { ENV_VARS, parseConfig } from '../../../src/config.js';
import { ConnectionSettings, HubSpotConnection, SalesforceConnection } from '../../../src/domain/model/connection.js';
import { DEFAULT_CONCURRENCY } from '../../../src/queue/index.js';
import { declaredFamilies } from '../../support/metric-families.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The rows (cells, trimmed) of the README table whose header row is `header`. */
function table(header: string): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => l.trim() === header);
  expect(start, `README table "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    // Split on the pipes that separate cells (not those inside backticks).
    const cells: string[] = [];
    let cell = '';
    let code = false;
    for (const ch of line.slice(1, line.trimEnd().length - 1)) {
      if (ch === '`') code = !code;
      if (ch === '|' && !code) {
        cells.push(cell.trim());
        cell = '';
      } else cell += ch;
    }
    cells.push(cell.trim());
    rows.push(cells);
  }
  return rows;
}

/** `a`, `b` -> ['a', 'b'] */
const codes = (cell: string) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
/** A cell that is exactly one code literal, unquoted: "`\"UTC\"`" -> "UTC"; otherwise null. */
const literal = (part: string) => /^`"?([^`"]*)"?`$/.exec(part.trim())?.[1] ?? null;
const NONE = /^(none|unset|unmapped)\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'sandbox' ? [] : sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

describe('README: environment variables', () => {
  const rows = table('| variable | default | meaning |');
  const documented = new Map(rows.map((r) => [codes(r[0]!)[0]!, r[1]!]));

  it('lists every variable the code reads, and no other', () => {
    const read = new Set<string>();
    for (const file of ['src', 'jobs', 'connectors'].flatMap((d) => sourceFiles(path.join(ROOT, d)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    for (const name of Object.keys(ENV_VARS)) read.add(name);
    expect([...documented.keys()].sort()).toEqual([...read].sort());
  });

  it('gives the defaults the config schema and the code apply', () => {
    const config = parseConfig({ connections: [] }, {}) as unknown as Record<string, unknown>;
    for (const [name, field] of Object.entries(ENV_VARS)) {
      const cell = documented.get(name)!;
      const value = config[field];
      const lit = literal(cell);
      if (name === 'PUBLIC_URL') expect(lit).toBe(publicUrlOf({ host: 'HOST', port: 'PORT' as unknown as number, publicUrl: undefined }));
      else if (lit !== null) expect(Array.isArray(value) ? value.join(',') : String(value), name).toBe(lit);
      else {
        expect(cell, name).toMatch(NONE);
        expect(Array.isArray(value) ? value.length : value, name).toSatisfy((v: unknown) => v === undefined || v === 0);
      }
    }
    expect(literal(documented.get('DEALWATCH_CONCURRENCY')!)).toBe(
      Object.entries(DEFAULT_CONCURRENCY)
        .map(([q, n]) => `${q}=${n}`)
        .join(','),
    );
    const demo = /DEALWATCH_DEMO_DEALS \?\? (\d+)/.exec(readFileSync(path.join(ROOT, 'src/commands/demo.ts'), 'utf8'))?.[1];
    expect(literal(documented.get('DEALWATCH_DEMO_DEALS')!)).toBe(demo);
  });
});

/**
 * The CLI's own `--help` of each command (name, declared arguments, help text), from the real
 * entry point through tsx: one process, not one per command.
 */
function cliHelp(): { name: string; args: string[]; help: string }[] {
  const command = '({ name: c.name(), args: c.registeredArguments.map((a) => a.name()), help: c.helpInformation() })';
  const print = `console.log(JSON.stringify(buildProgram().commands.map((c) => ${command})))`;
  const script = `import('./src/cli.ts').then(({ buildProgram }) => ${print})`;
  return JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
  ) as never;
}

describe('README: commands', () => {
  const rows = table('| command | what it does |');
  const commands = cliHelp();

  it('lists every command with exactly its arguments and flags', () => {
    const documented = new Map(
      rows.map((r) => {
        const usage = codes(r[0]!)[0]!;
        return [
          usage.split(' ')[1]!,
          {
            args: [...usage.matchAll(/<([a-z]+)>/g)].map((m) => m[1]!),
            flags: [...usage.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!).sort(),
          },
        ];
      }),
    );
    expect([...documented.keys()].sort()).toEqual(commands.map((c) => c.name).sort());
    for (const cmd of commands) {
      const flags = [...cmd.help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)]
        .map((m) => m[1]!)
        .filter((f) => f !== '--help')
        .sort();
      expect(documented.get(cmd.name), cmd.name).toEqual({ args: cmd.args, flags });
    }
  });
});

describe('README: connection fields', () => {
  const rows = table('| field | providers | default | meaning |');
  const schemas = { HubSpot: HubSpotConnection.shape, Salesforce: SalesforceConnection.shape } as const;
  const minimal = {
    HubSpot: ConnectionSettings.parse({ id: 'x', provider: 'hubspot', accessToken: 't' }),
    Salesforce: ConnectionSettings.parse({ id: 'x', provider: 'salesforce', auth: { type: 'accessToken', accessToken: 't' } }),
  } as Record<'HubSpot' | 'Salesforce', Record<string, unknown>>;
  const providersOf = (cell: string) => (cell === 'both' ? (['HubSpot', 'Salesforce'] as const) : ([cell] as ['HubSpot' | 'Salesforce']));
  const at = (object: Record<string, unknown>, dotted: string) =>
    dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], object);

  it('lists every field of each provider, and no other', () => {
    for (const provider of ['HubSpot', 'Salesforce'] as const) {
      const documented = new Set(
        rows.filter((r) => providersOf(r[1]!).includes(provider as never)).flatMap((r) => codes(r[0]!).map((f) => f.split('.')[0]!)),
      );
      expect([...documented].sort(), provider).toEqual(Object.keys(schemas[provider]).sort());
    }
  });

  it('gives the defaults the schema and the connectors apply', () => {
    const fieldNames = new Set(rows.flatMap((r) => codes(r[0]!)));
    for (const row of rows) {
      const fields = codes(row[0]!);
      const parts = row[2]!.split(/, (?![^(]*\))/);
      if (parts.length !== fields.length) continue;
      fields.forEach((field, i) => {
        const part = parts[i]!.trim();
        const lit = literal(part);
        for (const provider of providersOf(row[1]!)) {
          const value = at(minimal[provider], field);
          if (lit !== null && !fieldNames.has(lit)) expect(String(value), `${field} (${provider})`).toBe(lit);
          if (NONE.test(part)) expect(value, `${field} (${provider})`).toBeUndefined();
        }
      });
    }
  });

  it('gives the field map defaults the connectors use', () => {
    const cell = (field: string) => rows.find((r) => codes(r[0]!).includes(field))![2]!;
    expect(codes(cell('fieldMap.score'))).toEqual([
      DEFAULT_SCORE_PROPERTY,
      DEFAULT_FLAGS_PROPERTY,
      DEFAULT_SCORE_FIELD,
      DEFAULT_FLAGS_FIELD,
    ]);
    expect(codes(cell('fieldMap.discount'))).toEqual([DEFAULT_DISCOUNT_PROPERTY, DEFAULT_DISCOUNT_FIELD]);
    expect(cell('fieldMap.lostReason')).toMatch(/^unmapped/);
  });
});

describe('README: metrics', () => {
  it('lists every declared metric family with its type and labels', () => {
    const rows = table('| metric | type | labels | served by | what it counts |');
    const documented = new Map(rows.map((r) => [codes(r[0]!)[0]!, { type: r[1]!, labels: codes(r[2]!).sort() }]));
    const declared = declaredFamilies();
    expect([...documented.keys()].sort()).toEqual([...declared.keys()].sort());
    for (const [name, family] of declared)
      expect(documented.get(name), name).toEqual({ type: family.type, labels: [...family.labels].sort() });
  });
});

/**
 * Generated invalid configurations: a valid file and environment with one to four things broken
 * (wrong types, hostile values, missing fields, unset `env:` references, unknown keys, duplicate ids,
 * bad cron, zones, URLs, ports, prototype-pollution keys). The loader reports every broken field by
 * its path, one line each, as a ConfigError (exit 2), and never a value: every value the generator
 * writes carries a marker that no issue may contain. The bulk runs in-process; a sample runs the
 * real CLI as a child process, which must print exactly the loader's lines and exit 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { fuzzRuns, fuzzSeed, fuzzSync, longFuzz } from '../../support/fuzz.js';
import { cleanEnv, runCli } from './run-cli.js';

/** Every value the generator writes contains this: no issue line may. */
const MARK = 'SECRET-7f3a';

type Json = Record<string, unknown>;

function validFile(): Json {
  return {
    publicUrl: 'https://dealwatch.example.com',
    connections: [
      {
        id: 'acme-hubspot',
        provider: 'hubspot',
        accessToken: 'env:HS_TOKEN',
        portalId: 12345678,
        webhookSecret: `${MARK}-literal-webhook-secret`,
        schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin' },
        writeback: 'dry-run',
        fieldMap: { score: 'dealwatch_score', flags: 'dealwatch_flags' },
        rules: { stale_deal: { days: 21 } },
      },
      {
        id: 'acme-salesforce',
        provider: 'salesforce',
        instanceUrl: 'https://acme.my.salesforce.com',
        auth: {
          type: 'refreshToken',
          clientId: 'env:SF_CLIENT_ID',
          clientSecret: 'env:SF_CLIENT_SECRET',
          refreshToken: `${MARK}-literal-refresh-token`,
        },
        organizationId: '00D5e000000AbCdEAK',
        outboundMessageToken: 'env:SF_OUTBOUND',
        writeback: 'on',
      },
    ],
  };
}

function validEnv(): NodeJS.ProcessEnv {
  return {
    HS_TOKEN: `${MARK}-hs-token`,
    SF_CLIENT_ID: `${MARK}-client-id`,
    SF_CLIENT_SECRET: `${MARK}-client-secret`,
    SF_OUTBOUND: `${MARK}-outbound`,
    DEALWATCH_API_TOKENS: `${MARK}-api-token`,
  };
}

/** One thing broken: where (the path the loader must name; null when it need not name one) and how. */
interface Breakage {
  path: string | null;
  apply(file: Json, env: NodeJS.ProcessEnv): void;
  /** Other fields its meaning depends on. */
  reads?: string[];
}

/** Two breakages of one case never touch the same field (one would hide or undo the other). */
const slotsOf = (b: Breakage) => [(b.path ?? '').replace(/^(connections\[\d\]\.[A-Za-z]+).*$/, '$1'), ...(b.reads ?? [])];

function independent(breakages: Breakage[]): Breakage[] {
  const used = new Set<string>();
  return breakages.filter((b) => {
    const slots = slotsOf(b);
    if (slots.some((slot) => used.has(slot))) return false;
    slots.forEach((slot) => used.add(slot));
    return true;
  });
}

/** Values no typed field accepts, each marked. */
const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(null, true, [], [`${MARK}`], { [MARK]: MARK }, -1, 1.5, 1e308),
  fc.string({ maxLength: 30 }).map((s) => `${MARK}${s}`),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => `${MARK}\u0000${s}\u202e`),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => `${MARK}${'x'.repeat(n)}`),
);

/** The connection at `index`, or a detached object when another breakage replaced the list. */
const conn = (file: Json, index: number): Json => {
  const list = file.connections;
  const found = Array.isArray(list) ? (list[index] as unknown) : undefined;
  return typeof found === 'object' && found !== null ? (found as Json) : {};
};

function setAt(target: Json, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  Object.defineProperty(node, keys.at(-1)!, { value, enumerable: true, configurable: true, writable: true });
}

/** A connection field (of the HubSpot [0] or Salesforce [1] connection) given a value its type refuses. */
const typedFields: [number, string[], fc.Arbitrary<unknown>][] = [
  [
    0,
    ['id'],
    fc.oneof(wrongValue, fc.constantFrom(`${MARK}-UPPER`, `-${MARK}`.toLowerCase(), `${MARK.toLowerCase()}-${'x'.repeat(70)}`, '')),
  ],
  [1, ['id'], wrongValue],
  [0, ['provider'], wrongValue],
  [
    0,
    ['schedule', 'cron'],
    fc.oneof(fc.constantFrom(`${MARK} * * *`, '61 * * * *', `* * * * * * * ${MARK}`), fc.constantFrom<unknown>(5, null, [])),
  ],
  [1, ['schedule', 'timezone'], fc.oneof(fc.constantFrom(`Mars/${MARK}`, `${MARK}`), fc.constantFrom<unknown>(5, null))],
  [0, ['timezone'], fc.constantFrom<unknown>(`Nowhere/${MARK}`, 42, [MARK])],
  [0, ['writeback'], wrongValue],
  [1, ['writeback'], wrongValue],
  [0, ['lookbackMinutes'], fc.constantFrom<unknown>(-5, 1.5, `${MARK}`, null)],
  [1, ['fiscalYearStartMonth'], fc.constantFrom<unknown>(0, 13, 2.5, `${MARK}`)],
  [0, ['rateLimit'], fc.constantFrom<unknown>(`${MARK}`, { requests: -1, perMs: 1000 }, { requests: 10 }, [])],
  [0, ['fieldMap'], fc.constantFrom<unknown>(`${MARK}`, { score: 5 }, { flags: '' }, [])],
  [0, ['rules', 'stale_deal', 'days'], fc.constantFrom<unknown>(`${MARK}`, -3, null, { [MARK]: 1 })],
  [0, ['reportingCurrency'], fc.constantFrom<unknown>(`${MARK}`, 'dollars', 5)],
  [1, ['quotas'], fc.constantFrom<unknown>(`${MARK}`, { u1: -5 }, { u1: `${MARK}` })],
  [0, ['accessToken'], fc.constantFrom<unknown>(5, null, '', [MARK])],
  [0, ['portalId'], fc.constantFrom<unknown>(`${MARK}`, -1, 1.5, [])],
  [0, ['baseUrl'], fc.constantFrom<unknown>(`${MARK}`, `not a url ${MARK}`, 5)],
  [1, ['instanceUrl'], fc.constantFrom<unknown>(`${MARK}`, `::${MARK}`, 5, null)],
  [
    1,
    ['auth'],
    fc.constantFrom<unknown>(
      `${MARK}`,
      { type: `${MARK}` },
      { type: 'jwt', clientId: `${MARK}` },
      { type: 'refreshToken', refreshToken: `${MARK}-rt` },
      null,
      [],
    ),
  ],
  [1, ['auth', 'clientId'], fc.constantFrom<unknown>(5, '', null, [MARK])],
  [1, ['organizationId'], fc.constantFrom<unknown>(5, [MARK], { [MARK]: 1 })],
  [1, ['outboundMessageToken'], fc.constantFrom<unknown>(5, '', [MARK])],
];

/** Fields only one provider has: with the provider itself broken, the loader cannot judge them. */
const PROVIDER_FIELDS = new Set(['accessToken', 'portalId', 'baseUrl', 'instanceUrl', 'auth', 'organizationId', 'outboundMessageToken']);
const providerOf = (index: number, keys: string[]) => (PROVIDER_FIELDS.has(keys[0]!) ? [`connections[${index}].provider`] : []);

const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  fc.constantFrom(...typedFields).chain(([index, keys, value]) =>
    value.map((v) => ({
      path: `connections[${index}].${keys.join('.')}`,
      reads: providerOf(index, keys),
      apply: (file: Json) => setAt(conn(file, index), keys, v),
    })),
  ),
  // a required field missing
  fc
    .constantFrom<[number, string[]]>(
      [0, ['id']],
      [0, ['provider']],
      [1, ['id']],
      [1, ['auth']],
      [1, ['auth', 'type']],
      [1, ['auth', 'clientId']],
    )
    .map(([index, keys]) => ({
      path: `connections[${index}].${keys.join('.')}`,
      reads: providerOf(index, keys),
      apply: (file: Json) => {
        let node: unknown = conn(file, index);
        for (const key of keys.slice(0, -1)) node = typeof node === 'object' && node !== null ? (node as Json)[key] : undefined;
        if (typeof node === 'object' && node !== null) delete (node as Json)[keys.at(-1)!];
      },
    })),
  // an env: reference to a variable that is not set
  fc
    .constantFrom<[string, string]>(
      ['connections[0].accessToken', 'HS_TOKEN'],
      ['connections[1].auth.clientSecret', 'SF_CLIENT_SECRET'],
      ['connections[1].outboundMessageToken', 'SF_OUTBOUND'],
    )
    .map(([at, name]) => ({
      path: at,
      apply: (_file: Json, env: NodeJS.ProcessEnv) => void delete env[name],
    })),
  fc.constant<Breakage>({
    path: 'connections[1].id',
    reads: ['connections[0].id', 'connections'],
    apply: (file) => void (conn(file, 1).id = conn(file, 0).id),
  }),
  fc
    .constantFrom('conections', 'publicURL', '__proto__x', 'secrets')
    .map((key) => ({ path: key, apply: (file: Json) => void (file[key] = `${MARK}`) })),
  wrongValue.filter((v) => !Array.isArray(v)).map((v) => ({ path: 'connections', apply: (file: Json) => void (file.connections = v) })),
  fc
    .constantFrom<unknown>(`${MARK}`, `not a url ${MARK}`, 5, [])
    .map((v) => ({ path: 'publicUrl', apply: (file: Json) => void (file.publicUrl = v) })),
  // environment variables, reported under their own names
  fc
    .constantFrom<[string, string]>(
      ['PORT', `${MARK}`],
      ['PORT', '99999'],
      ['LOG_LEVEL', `${MARK}`],
      ['DATABASE_URL', `mysql://${MARK}`],
      ['REDIS_URL', `http://${MARK}`],
      ['PUBLIC_URL', `not a url ${MARK}`],
    )
    .map(([name, value]) => ({
      path: name,
      // the environment's PUBLIC_URL wins over the file's publicUrl, which is then not read
      reads: name === 'PUBLIC_URL' ? ['publicUrl'] : [],
      apply: (_file: Json, env: NodeJS.ProcessEnv) => void (env[name] = value),
    })),
);

/** Changes that need not be errors but must not break the loader: prototype-pollution keys, odd but legal values. */
const noise: fc.Arbitrary<Breakage> = fc.constantFrom<Breakage>(
  { path: null, apply: (file) => setAt(conn(file, 0), ['__proto__'], { id: `${MARK}`, provider: 'x' }) },
  { path: null, apply: (file) => setAt(conn(file, 1), ['constructor'], { prototype: { polluted: MARK } }) },
  { path: null, apply: (file) => setAt(conn(file, 0), ['rules', '__proto__'], { days: MARK }) },
  { path: null, apply: (file) => void (conn(file, 0).name = `${MARK} \u0000 😀`) },
);

/** One generated case: the file and environment, and the paths the loader must name. */
const invalidConfig = fc
  .tuple(
    fc.array(breakage, { minLength: 1, maxLength: 4 }).map(independent),
    fc.array(noise, { maxLength: 2 }),
    fc.constantFrom('object', 'array-root', 'string-root'),
  )
  .map(([broken, extra, root]) => {
    const file = validFile();
    const env = validEnv();
    for (const b of [...extra, ...broken]) b.apply(file, env);
    // a file that is not an object at all says so, whatever else is wrong
    if (root === 'array-root') return { text: JSON.stringify([file]), env, paths: ['config'] };
    if (root === 'string-root') return { text: JSON.stringify(MARK), env, paths: ['config'] };
    return { text: JSON.stringify(file), env, paths: broken.map((b) => b.path).filter((p): p is string => p !== null) };
  });

/** The loader's issue lines for a case, or the unexpected error it threw. */
function issuesOf(text: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(JSON.parse(text), env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw new Error(`the loader threw ${String(error)}, not a ConfigError`);
  }
  throw new Error('the loader accepted an invalid configuration');
}

/** `connections[0].schedule` names `connections[0].schedule.cron` and vice versa: one path is a prefix of the other. */
const related = (a: string, b: string) =>
  a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);

function checkIssues(issues: string[], paths: string[]): void {
  const where = `issues:\n  ${issues.join('\n  ')}\nbroken: ${paths.join(', ')}`;
  expect(issues.length, where).toBeGreaterThan(0);
  const named = issues.map((line) => /^([^:]+): ./.exec(line)?.[1]);
  expect(
    named.every((p) => p !== undefined),
    `${where}\nevery line is "path: problem"`,
  ).toBe(true);
  for (const p of paths)
    expect(
      named.some((n) => related(n!, p)),
      `${where}\n${p} is not named`,
    ).toBe(true);
  for (const line of issues) {
    expect(line, where).not.toContain(MARK);
    expect(line, where).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  }
}

describe('configuration fuzz', () => {
  it('names every broken field by path, one line each, and never a value (loader, in-process)', () => {
    fuzzSync(
      'invalid config files (loader)',
      fc.property(invalidConfig, ({ text, env, paths }) => checkIssues(issuesOf(text, env), paths)),
      400,
    );
  });

  const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-config-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'the CLI prints exactly those lines, exits 2, no stack, no secret (a sample, as child processes)',
    { timeout: longFuzz ? 3_600_000 : 180_000 },
    async () => {
      const sample = fc.sample(invalidConfig, { seed: fuzzSeed(), numRuns: fuzzRuns(3) });
      const run = async ({ text, env }: (typeof sample)[number], i: number) => {
        const file = path.join(dir, `case-${i}.json`);
        writeFileSync(file, text);
        return {
          expected: issuesOf(text, env),
          result: await runCli(['--config', file, 'migrate'], { env: cleanEnv(env as Record<string, string>) }),
        };
      };
      // two at a time: each child loads the whole CLI through tsx, and the machine has two cores
      const runs: Awaited<ReturnType<typeof run>>[] = [];
      for (let i = 0; i < sample.length; i += 2) runs.push(...(await Promise.all(sample.slice(i, i + 2).map((c, j) => run(c, i + j)))));
      for (const { expected, result } of runs) {
        expect(result.code, result.stderr).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr.trimEnd().split('\n')).toEqual(['invalid configuration:', ...expected.map((line) => `  ${line}`)]);
        expect(result.stderr).not.toContain(MARK);
      }
    },
  );
});

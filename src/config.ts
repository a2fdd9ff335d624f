/**
 * Configuration: a JSON file (`--config PATH` or `DEALWATCH_CONFIG`) plus the environment,
 * validated by one zod schema. Secrets in the file are `"env:NAME"` references resolved here.
 * Every problem is reported at once, one line each, naming the field (`connections[1].auth.clientId:
 * required`) and never a value.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { ConfigError } from './domain/errors.js';
import { ConnectionSettings } from './domain/model/connection.js';
import type { Provider } from './domain/model/index.js';
import { descriptorOf, registeredProviders } from '../connectors/registry.js';
import { DigestSettings, digestIdOf } from './domain/model/digest.js';
import { RulesConfig } from './domain/rules/config.js';
import { NODE_ENTRY } from './queue/redis.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Environment variables dealwatch reads, with the config field each one sets. */
export const ENV_VARS = {
  DEALWATCH_CONFIG: 'configPath',
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  REDIS_CLUSTER_NODES: 'redisClusterNodes',
  REDIS_SENTINELS: 'redisSentinels',
  REDIS_SENTINEL_NAME: 'redisSentinelName',
  REDIS_PASSWORD: 'redisPassword',
  PORT: 'port',
  HOST: 'host',
  LOG_LEVEL: 'logLevel',
  DEALWATCH_API_TOKENS: 'apiTokens',
  PUBLIC_URL: 'publicUrl',
  DEALWATCH_DATA_DIR: 'dataDir',
  DEALWATCH_METRICS_PORT: 'metricsPort',
  DEALWATCH_METRICS_TOKEN: 'metricsToken',
  DEALWATCH_DOCS: 'docs',
  DEALWATCH_QUEUE_PREFIX: 'queuePrefix',
  SMTP_URL: 'smtpUrl',
  DIGEST_FROM: 'digestFrom',
} as const;

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL');
const redisUrl = z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL');
/** A comma-separated list of `host:port` (or `redis[s]://[user:password@]host:port`) entries. */
const redisNodeList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean)
      : value,
  z
    .array(z.string().regex(NODE_ENTRY, 'expected host:port or redis[s]://[user:password@]host:port'))
    .min(1, 'expected at least one host:port')
    .optional(),
);

/**
 * The whole configuration. Fields marked "env" come from the environment; `publicUrl` may come from
 * either (the environment wins); `connections` only from the file.
 */
export const ConfigSchema = z.object({
  /** env `DATABASE_URL`: PostgreSQL server. Unset: embedded PGlite under `dataDir`. */
  databaseUrl: z.preprocess(emptyAsUndefined, postgresUrl.optional()),
  /** env `REDIS_URL`: queues run on this Redis. Unset: on BullMQ's PostgreSQL backend in the store's database. */
  redisUrl: z.preprocess(emptyAsUndefined, redisUrl.optional()),
  /**
   * env `REDIS_CLUSTER_NODES`, comma-separated `host:port`: queues run on this Redis Cluster
   * (any few of its nodes; `rediss://` entries for TLS).
   */
  redisClusterNodes: z.preprocess(emptyAsUndefined, redisNodeList),
  /** env `REDIS_SENTINELS`, comma-separated `host:port`: queues run on the master these Sentinels watch. */
  redisSentinels: z.preprocess(emptyAsUndefined, redisNodeList),
  /** env `REDIS_SENTINEL_NAME`: the master's name in Sentinel (required with `REDIS_SENTINELS`). */
  redisSentinelName: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** env `REDIS_PASSWORD`: Redis password in every mode, when the URL or node entries carry none. */
  redisPassword: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** env `PORT`: HTTP port. @defaultValue 3000 */
  port: z
    .preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\d{1,5}$/, 'expected a port number')
        .optional(),
    )
    .transform((value) => (value === undefined ? 3000 : Number(value)))
    .pipe(z.number().max(65_535, 'expected a port number')),
  /** env `DEALWATCH_METRICS_PORT`: port of `dealwatch worker`'s own `/metrics` listener (on `host`). @defaultValue none (no listener) */
  metricsPort: z
    .preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\d{1,5}$/, 'expected a port number')
        .optional(),
    )
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number().max(65_535, 'expected a port number').optional()),
  /** env `DEALWATCH_METRICS_TOKEN`: bearer token scrapers must present on `/metrics` (server and worker). @defaultValue none (open) */
  metricsToken: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /**
   * env `DEALWATCH_DOCS`: the OpenAPI UI and document at `/docs`: `off`, `token` (an API token,
   * Bearer or Basic password) or `public`. @defaultValue "token"
   */
  docs: z.preprocess(emptyAsUndefined, z.enum(['off', 'token', 'public']).default('token')),
  /** env `HOST`: interface the HTTP server binds. @defaultValue "127.0.0.1" */
  host: z.preprocess(emptyAsUndefined, z.string().min(1).default('127.0.0.1')),
  /** env `LOG_LEVEL`. @defaultValue "info" */
  logLevel: z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default('info')),
  /** env `DEALWATCH_API_TOKENS`, comma-separated: bearer tokens accepted by the manager API. @defaultValue none */
  apiTokens: z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((token) => token.trim())
            .filter(Boolean)
        : value,
    z.array(z.string().min(1)).default([]),
  ),
  /** env `PUBLIC_URL` or file `publicUrl`: the URL providers call webhooks on (signatures cover it). */
  publicUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  /** env `DEALWATCH_DATA_DIR`: embedded database and local state. @defaultValue "./.dealwatch" */
  dataDir: z.preprocess(emptyAsUndefined, z.string().min(1).default('./.dealwatch')),
  /**
   * env `DEALWATCH_QUEUE_PREFIX`: key prefix of the queues in Redis. Keep a `{hash tag}` for Redis
   * Cluster (BullMQ's scripts touch several keys of a queue). @defaultValue "{dealwatch}"
   */
  queuePrefix: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_{}.-]{1,64}$/, 'expected 1-64 letters, digits, _ . - { } (no ":")')
      .default('{dealwatch}'),
  ),
  /** CRM connections, each with a unique `id`. @defaultValue [] */
  connections: z.array(ConnectionSettings).default([]),
  /**
   * env `SMTP_URL`: where digests are mailed, `smtp://user:pass@host:587` (STARTTLS when the
   * server offers it) or `smtps://...:465` (TLS from the start). A secret: never logged.
   */
  smtpUrl: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^smtps?:\/\/[^/]/, 'expected an smtp:// or smtps:// URL')
      .optional(),
  ),
  /** env `DIGEST_FROM`: the digest mail's sender. @defaultValue "dealwatch@localhost" */
  digestFrom: z.preprocess(emptyAsUndefined, z.string().min(3).default('dealwatch@localhost')),
  /** Scheduled digests (email, Slack or both) of a connection or one of its teams. @defaultValue [] */
  digests: z.array(DigestSettings).default([]),
});

/** Where cross-field checks put their issues (zod-shaped, so they are described like the schema's). */
interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string } | z.core.$ZodIssue): void;
}

/**
 * Checks across fields: unique ids, known time zones, parseable cron expressions, rule thresholds.
 * Runs on the raw connections beside the schema, not inside it: zod skips refinements once a field
 * fails fatally (a fraction where an integer is due), and every problem must be reported at once.
 */
function checkConnections(connections: unknown, ctx: IssueSink): void {
  if (!Array.isArray(connections)) return;
  const firstIndexById = new Map<string, number>();
  connections.forEach((connection: unknown, index) => {
    if (typeof connection !== 'object' || connection === null) return;
    const { id, schedule, timezone, rules } = connection as {
      id?: unknown;
      schedule?: { cron?: unknown; timezone?: unknown };
      timezone?: unknown;
      rules?: unknown;
    };
    const at = (...path: string[]) => ['connections', index, ...path];
    const { provider } = connection as { provider?: unknown };
    if (typeof provider !== 'string' || !registeredProviders().includes(provider as Provider)) {
      // The union then reports only `provider`; the fields every provider shares are still checked.
      for (const issue of sharedFieldIssues(connection)) ctx.addIssue({ ...issue, path: at(...issue.path.map(String)) });
    }
    if (typeof id === 'string') {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, index);
      else ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate id (also connections[${first}].id)` });
    }
    if (typeof schedule?.timezone === 'string' && !isTimeZone(schedule.timezone)) {
      ctx.addIssue({ code: 'custom', path: at('schedule', 'timezone'), message: 'unknown IANA time zone' });
    }
    if (typeof timezone === 'string' && !isTimeZone(timezone)) {
      ctx.addIssue({ code: 'custom', path: at('timezone'), message: 'unknown IANA time zone' });
    }
    if (typeof schedule?.cron === 'string' && !isCron(schedule.cron)) {
      ctx.addIssue({ code: 'custom', path: at('schedule', 'cron'), message: 'invalid cron expression' });
    }
    // The connection schema keeps `rules` open; the engine's schema knows every threshold.
    if (typeof rules === 'object' && rules !== null) {
      const parsed = RulesConfig.safeParse(rules);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: 'custom', path: at('rules', ...issue.path.map(String)), message: issue.message });
        }
      }
    }
  });
}

/** Redis is one server, one cluster or one Sentinel-watched master: never two at once. */
function checkRedisModes(env: NodeJS.ProcessEnv, ctx: IssueSink): void {
  const set = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (name) => emptyAsUndefined(env[name]) !== undefined,
  );
  if (set.length > 1) {
    ctx.addIssue({ code: 'custom', path: [ENV_VARS[set[1]!]], message: `set only one of ${set.join(', ')} (one Redis mode at a time)` });
  }
  const hasSentinels = emptyAsUndefined(env.REDIS_SENTINELS) !== undefined;
  const hasName = emptyAsUndefined(env.REDIS_SENTINEL_NAME) !== undefined;
  if (hasSentinels && !hasName)
    ctx.addIssue({
      code: 'custom',
      path: ['redisSentinels'],
      message: 'needs REDIS_SENTINEL_NAME (the name of the master the Sentinels watch)',
    });
  if (hasName && !hasSentinels) ctx.addIssue({ code: 'custom', path: ['redisSentinelName'], message: 'set without REDIS_SENTINELS' });
}

/**
 * Digests: the connection exists, the team is one of its teams, the cron parses, the time zone is
 * known, and no two digests go by one id (the id keys the scheduler and the send ledger).
 */
function checkDigests(digests: unknown, connections: unknown, ctx: IssueSink): void {
  if (!Array.isArray(digests)) return;
  const known = new Map<string, { teams?: unknown }>();
  if (Array.isArray(connections)) {
    for (const c of connections as { id?: unknown; teams?: unknown }[]) if (typeof c?.id === 'string') known.set(c.id, c);
  }
  const firstIndexById = new Map<string, number>();
  digests.forEach((digest: unknown, index) => {
    if (typeof digest !== 'object' || digest === null) return;
    const { id, connection, team, cron, timezone } = digest as Record<string, unknown>;
    const at = (...path: string[]) => ['digests', index, ...path];
    if (typeof connection === 'string') {
      const settings = known.get(connection);
      if (settings === undefined) {
        ctx.addIssue({ code: 'custom', path: at('connection'), message: `no connection "${connection}" is configured` });
      } else if (typeof team === 'string' && typeof settings.teams === 'object' && settings.teams !== null) {
        // Without configured teams, teams come from the CRM's owners: known only after a sync.
        const teams = Object.keys(settings.teams);
        if (!teams.includes(team))
          ctx.addIssue({
            code: 'custom',
            path: at('team'),
            message: `not a team of connection "${connection}" (teams: ${teams.join(', ')})`,
          });
      }
    }
    if (typeof cron === 'string' && !isCron(cron)) ctx.addIssue({ code: 'custom', path: at('cron'), message: 'invalid cron expression' });
    if (typeof timezone === 'string' && !isTimeZone(timezone))
      ctx.addIssue({ code: 'custom', path: at('timezone'), message: 'unknown IANA time zone' });
    if (
      typeof connection === 'string' &&
      (id === undefined || typeof id === 'string') &&
      (team === undefined || typeof team === 'string')
    ) {
      const digestId = digestIdOf({ id, connection, team });
      const first = firstIndexById.get(digestId);
      if (first === undefined) firstIndexById.set(digestId, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: at('id'),
          message: `two digests go by "${digestId}" (also digests[${first}]): give each an id`,
        });
    }
  });
}

/** Issues a connection of unknown provider would have under every provider: its shared fields' own problems. */
function sharedFieldIssues(connection: object): z.core.$ZodIssue[] {
  const key = (issue: z.core.$ZodIssue) => `${issue.path.join('.')}\u0000${issue.code}\u0000${issue.message}`;
  let shared: z.core.$ZodIssue[] | null = null;
  for (const provider of registeredProviders()) {
    const parsed = descriptorOf(provider).settings.safeParse({ ...connection, provider });
    if (parsed.success) return [];
    const keys = new Set(parsed.error.issues.map(key));
    shared = shared === null ? parsed.error.issues : shared.filter((issue) => keys.has(key(issue)));
  }
  return shared ?? [];
}

export type Config = z.infer<typeof ConfigSchema> & {
  /** Absolute path of the file read, or null when none was given. */
  configPath: string | null;
};

/** Top-level keys the config file may hold; anything else is reported (typos must not pass silently). */
const FILE_KEYS = new Set(['publicUrl', 'connections', 'digests', '$schema']);

export interface LoadConfigOptions {
  /** `--config PATH`; falls back to `DEALWATCH_CONFIG`. */
  configPath?: string | undefined;
  /** @defaultValue process.env */
  env?: NodeJS.ProcessEnv | undefined;
  /** Base for a relative config path. @defaultValue process.cwd() */
  cwd?: string | undefined;
}

/** Reads the file named by the options or the environment, then validates. Throws `ConfigError`. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const given = options.configPath ?? emptyAsUndefined(env.DEALWATCH_CONFIG);
  if (given === undefined) return { ...parseConfig({}, env), configPath: null };
  const configPath = path.resolve(options.cwd ?? process.cwd(), String(given));
  return { ...parseConfig(readConfigFile(configPath), env), configPath };
}

/** Validates parsed file content against the environment. Pure apart from reading `env`. */
export function parseConfig(file: unknown, env: NodeJS.ProcessEnv): z.infer<typeof ConfigSchema> {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new ConfigError(['config: expected a JSON object with "connections"']);
  }
  const issues: string[] = [];
  for (const key of Object.keys(file)) {
    if (!FILE_KEYS.has(key)) issues.push(`${key}: unknown setting (allowed: publicUrl, connections, digests)`);
  }
  const secretIssues = new Map<string, string>();
  const resolved = resolveEnvReferences(file, env, [], secretIssues) as Record<string, unknown>;

  const input = {
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    redisSentinels: env.REDIS_SENTINELS,
    redisSentinelName: env.REDIS_SENTINEL_NAME,
    redisPassword: env.REDIS_PASSWORD,
    port: env.PORT,
    metricsPort: env.DEALWATCH_METRICS_PORT,
    metricsToken: env.DEALWATCH_METRICS_TOKEN,
    docs: env.DEALWATCH_DOCS,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    apiTokens: env.DEALWATCH_API_TOKENS,
    publicUrl: emptyAsUndefined(env.PUBLIC_URL) ?? resolved.publicUrl,
    dataDir: env.DEALWATCH_DATA_DIR,
    queuePrefix: env.DEALWATCH_QUEUE_PREFIX,
    connections: resolved.connections,
    smtpUrl: env.SMTP_URL,
    digestFrom: env.DIGEST_FROM,
    digests: resolved.digests,
  };
  const result = ConfigSchema.safeParse(input);
  const crossField: z.core.$ZodIssue[] = [];
  checkConnections(resolved.connections, { addIssue: (issue) => crossField.push(issue as z.core.$ZodIssue) });
  checkRedisModes(env, { addIssue: (issue) => crossField.push(issue as z.core.$ZodIssue) });
  checkDigests(resolved.digests, resolved.connections, { addIssue: (issue) => crossField.push(issue as z.core.$ZodIssue) });
  issues.push(...secretIssues.values());
  for (const issue of [...(result.success ? [] : result.error.issues), ...crossField]) {
    const field = formatPath(issue.path);
    // A field whose env reference is missing is already reported; its placeholder may fail validation too.
    if (secretIssues.has(field)) continue;
    const line = `${fieldLabel(field, env)}: ${describeIssue(issue)}`;
    if (!issues.includes(line)) issues.push(line);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  if (!result.success) throw new ConfigError(['config: invalid']);
  return result.data;
}

function readConfigFile(configPath: string): unknown {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([`config: cannot read ${configPath} (${code})`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse's message names the position, never more than a character of content.
    throw new ConfigError([`config: ${configPath} is not valid JSON (${(error as Error).message.split('\n')[0]})`]);
  }
}

const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Replaces every string `"env:NAME"` with the variable's value. A missing or empty variable is
 * recorded in `missing` (keyed by field path) and left as the reference, so validation still runs.
 */
function resolveEnvReferences(value: unknown, env: NodeJS.ProcessEnv, at: (string | number)[], missing: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const name = ENV_REFERENCE.exec(value)?.[1];
    if (name === undefined) return value;
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      const field = formatPath(at);
      missing.set(field, `${field}: environment variable ${name} is not set`);
      return value;
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, index) => resolveEnvReferences(item, env, [...at, index], missing));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveEnvReferences(item, env, [...at, key], missing)]));
  }
  return value;
}

/** `['connections', 1, 'auth', 'clientId']` -> `connections[1].auth.clientId`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? 'config' : out;
}

/** Environment-sourced fields are reported under the variable's name, which is what the user set. */
function fieldLabel(field: string, env: NodeJS.ProcessEnv): string {
  const root = field.split(/[.[]/)[0] ?? field;
  const envName = (Object.keys(ENV_VARS) as (keyof typeof ENV_VARS)[]).find((name) => ENV_VARS[name] === root);
  if (envName === undefined || emptyAsUndefined(env[envName]) === undefined) return field;
  return envName + field.slice(root.length);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input !== undefined) return `expected ${issue.expected}, got ${describeType(issue.input)}`;
      // zod leaves `input` out of some issues (a fraction where an integer is due): only "received undefined" is missing
      return /received undefined$/.test(issue.message)
        ? 'required'
        : `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        return `expected one of ${issue.options.map((option: unknown) => JSON.stringify(option)).join(', ')}`;
      }
      // a schema that says what it accepts (a custom union error) is quoted as it says it
      return issue.message !== '' && issue.message !== 'Invalid input' ? issue.message : 'does not match any allowed shape';
    case 'invalid_value':
      return `expected one of ${issue.values.map((option) => JSON.stringify(option)).join(', ')}`;
    default:
      return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isCron(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

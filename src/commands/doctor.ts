/**
 * `dealwatch doctor`: is this installation able to run? Configuration, database and migrations,
 * Redis (when configured), then each connection's own checks (credentials, fields to read and
 * write) through its connector. Exit 0 when every check passes, 1 otherwise, 2 on invalid config.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnector, rateLimitsOf } from '../../connectors/registry.js';
import type { RateGate } from '../../connectors/types.js';
import type { Config } from '../config.js';
import { DealwatchError } from '../domain/errors.js';
import type { ConnectionSettings } from '../domain/model/index.js';
import type { Logger } from '../logger.js';
import {
  connectRedisClient,
  createRedisClient,
  describeRedisTarget,
  redisTargetOf,
  type RedisClient,
  type RedisTarget,
} from '../queue/redis.js';
import { describeUrl, migrationProblem, type Store } from '../store/index.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import type { DoctorOptions } from './types.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const MIN_REDIS = [6, 2] as const;
/** A connector retries transient failures; doctor reports instead of waiting them all out. */
const CONNECTOR_TIMEOUT_MS = 30_000;

export async function run(options: DoctorOptions): Promise<number> {
  const config = configFrom(options);
  const logger = commandLogger(config);
  const checks: Check[] = [
    { name: 'config', ok: true, detail: `${config.connections.length} connection(s) from ${config.configPath ?? 'environment only'}` },
    ...(await checkDatabase(config, logger)),
    await checkRedis(redisTargetOf(config)),
  ];
  for (const connection of config.connections) checks.push(...(await checkConnection(connection, options.fix, logger)));

  const ok = checks.every((check) => check.ok);
  if (options.json) process.stdout.write(`${JSON.stringify({ ok, checks })}\n`);
  else process.stdout.write(formatChecks(checks, ok));
  return ok ? 0 : 1;
}

async function checkDatabase(config: Config, logger: Logger): Promise<Check[]> {
  const where = config.databaseUrl ? describeUrl(config.databaseUrl) : `embedded in ${config.dataDir}/db`;
  let store: Store;
  try {
    store = await storeFrom(config, logger, { migrate: false });
  } catch (error) {
    return [{ name: 'database', ok: false, detail: `${where}: ${errorText(error)}` }];
  }
  try {
    const status = await store.migrationStatus();
    const problem = migrationProblem(status);
    const checks: Check[] = [
      { name: 'database', ok: true, detail: `${where} answers` },
      problem === null
        ? { name: 'migrations', ok: true, detail: `${status.applied.length} applied, none pending` }
        : { name: 'migrations', ok: false, detail: problem },
    ];
    if (problem === null) {
      for (const connection of config.connections) {
        const state = await store.connectionState.get(connection.id);
        if (state.pausedReason !== null) {
          checks.push({
            name: `${connection.id} paused`,
            ok: false,
            detail: `since ${state.pausedAt ?? '?'}: ${state.pausedReason}; fix the cause, then dealwatch resume ${connection.id}`,
          });
        }
      }
    }
    return checks;
  } catch (error) {
    return [{ name: 'database', ok: false, detail: `${where}: ${errorText(error)}` }];
  } finally {
    await store.close();
  }
}

/**
 * Redis in the mode configured: one server answers; a cluster reports `cluster_state:ok` (every
 * slot served); Sentinel names a master that answers as a master. The version is the master's.
 */
async function checkRedis(target: RedisTarget | undefined): Promise<Check> {
  if (target === undefined) return { name: 'redis', ok: true, detail: 'not configured: queues run on PostgreSQL' };
  const where = describeRedisTarget(target);
  const redis = createRedisClient(target, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
  // Reported below; a refused password closes the connection, and only this event says why.
  let cause: unknown;
  redis.on('error', (error: unknown) => (cause = error));
  try {
    await withTimeout(connectRedisClient(redis), 10_000);
    const state = await modeState(redis, target);
    if (state.problem !== undefined) return { name: 'redis', ok: false, detail: `${where}: ${state.problem}` };
    const version = /redis_version:(\d+)\.(\d+)/.exec(await redis.info('server'));
    const [major, minor] = [Number(version?.[1] ?? 0), Number(version?.[2] ?? 0)];
    const supported = major > MIN_REDIS[0] || (major === MIN_REDIS[0] && minor >= MIN_REDIS[1]);
    return supported
      ? { name: 'redis', ok: true, detail: `${where} answers (Redis ${major}.${minor}${state.detail})` }
      : { name: 'redis', ok: false, detail: `${where} runs Redis ${major}.${minor}; ${MIN_REDIS.join('.')} or newer is required` };
  } catch (error) {
    const reason = /Connection is closed/.test(errorText(error)) && cause !== undefined ? cause : error;
    return { name: 'redis', ok: false, detail: `${where} does not answer: ${errorText(reason)}` };
  } finally {
    redis.disconnect();
  }
}

async function modeState(redis: RedisClient, target: RedisTarget): Promise<{ problem?: string; detail: string }> {
  if (target.mode === 'cluster') {
    const info = String(await redis.cluster('INFO'));
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    const masters = /cluster_size:(\d+)/.exec(info)?.[1] ?? '?';
    if (state !== 'ok') return { problem: `cluster_state is ${state} (some slots have no master)`, detail: '' };
    return { detail: `; cluster ok, ${masters} masters` };
  }
  if (target.mode === 'sentinel') {
    const role = await redis.role();
    if (role[0] !== 'master') return { problem: `Sentinel's master "${target.name}" answers as ${String(role[0])}`, detail: '' };
    return { detail: `; master "${target.name}" reachable through Sentinel` };
  }
  return { detail: '' };
}

async function checkConnection(settings: ConnectionSettings, fix: boolean, logger: Logger): Promise<Check[]> {
  const name = `${settings.id} (${settings.provider})`;
  try {
    const connector = createConnector(settings, {
      rateGate: localRateGate(settings),
      // The connector names its own module and connection in its log lines.
      logger,
    });
    const report = await withTimeout(connector.doctor({ fix }), CONNECTOR_TIMEOUT_MS);
    return report.checks.map((check) => ({ name: `${name} ${check.name}`, ok: check.ok, detail: check.detail }));
  } catch (error) {
    return [{ name, ok: false, detail: errorText(error) }];
  }
}

/**
 * Doctor makes a handful of calls from one process, so an in-memory limiter at the provider's
 * limits is enough; the shared (Redis/PostgreSQL) gate is for the workers.
 */
function localRateGate(settings: ConnectionSettings): RateGate {
  const limits = rateLimitsOf(settings);
  const limiters = new Map<string, RateLimiterMemory>();
  return {
    async take(bucket, signal) {
      const name = limits[bucket] ? bucket : 'default';
      const limit = limits[name] ?? { requests: 10, perMs: 1000 };
      let limiter = limiters.get(name);
      if (!limiter) {
        const duration = Math.max(1, Math.round(limit.perMs / 1000));
        limiter = new RateLimiterMemory({ points: Math.max(1, Math.round((limit.requests * duration * 1000) / limit.perMs)), duration });
        limiters.set(name, limiter);
      }
      for (;;) {
        try {
          await limiter.consume(settings.id);
          return;
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          await sleep(rejection.msBeforeNext, undefined, { signal });
        }
      }
    },
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(ms, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`no answer within ${ms / 1000} s (the provider or network is failing; see the log)`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

function errorText(error: unknown): string {
  if (error instanceof DealwatchError) return `[${error.code}] ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function formatChecks(checks: readonly Check[], ok: boolean): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  const lines = checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
  const failed = checks.filter((check) => !check.ok).length;
  return `${lines.join('\n')}\n\n${ok ? 'all checks passed' : `${failed} check(s) failed`}\n`;
}

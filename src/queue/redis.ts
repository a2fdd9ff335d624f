/**
 * The one place that knows how to reach Redis, in any of its three shapes: one server (`REDIS_URL`),
 * a Redis Cluster (`REDIS_CLUSTER_NODES`, ioredis' Cluster client, BullMQ's documented way) or a
 * master watched by Sentinels (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). Queues, rate gates,
 * leases, webhook dedupe, the HTTP rate limits, the dashboard and the doctor all connect through here.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface HostPort {
  host: string;
  port: number;
}

/** How to reach Redis. `tls` comes from `rediss://`; credentials from the URL or `REDIS_PASSWORD`. */
export type RedisTarget =
  | { mode: 'single'; url: string; password?: string | undefined }
  | { mode: 'cluster'; nodes: HostPort[]; tls: boolean; username?: string | undefined; password?: string | undefined }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      name: string;
      tls: boolean;
      username?: string | undefined;
      password?: string | undefined;
      sentinelUsername?: string | undefined;
      sentinelPassword?: string | undefined;
    };

export type RedisMode = RedisTarget['mode'];

/** A client in any mode. Both classes take the same commands; a Cluster routes each key to its node. */
export type RedisClient = Redis | Cluster;

/** The Redis settings of the configuration (src/config.ts), validated there. */
export interface RedisSettings {
  redisUrl?: string | undefined;
  redisClusterNodes?: readonly string[] | undefined;
  redisSentinels?: readonly string[] | undefined;
  redisSentinelName?: string | undefined;
  redisPassword?: string | undefined;
}

/** One entry of a node list: `host:port`, or `redis://[user:password@]host:port` / `rediss://...`. */
export const NODE_ENTRY = /^(?:rediss?:\/\/(?:[^@/\s]*@)?)?(?:\[[0-9a-fA-F:]+\]|[^\s:/@[\]]+):\d{1,5}$/;

interface ParsedEntry extends HostPort {
  tls: boolean;
  username?: string | undefined;
  password?: string | undefined;
}

function parseEntry(entry: string): ParsedEntry {
  const url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 6379),
    tls: url.protocol === 'rediss:',
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

/** The target the settings name, or undefined when Redis is not configured (queues on PostgreSQL). */
export function redisTargetOf(settings: RedisSettings): RedisTarget | undefined {
  const password = settings.redisPassword;
  if (settings.redisClusterNodes && settings.redisClusterNodes.length > 0) {
    const entries = settings.redisClusterNodes.map(parseEntry);
    const withCredentials = entries.find((e) => e.password !== undefined);
    return {
      mode: 'cluster',
      nodes: entries.map(({ host, port }) => ({ host, port })),
      tls: entries.some((e) => e.tls),
      username: withCredentials?.username,
      password: withCredentials?.password ?? password,
    };
  }
  if (settings.redisSentinels && settings.redisSentinels.length > 0) {
    const entries = settings.redisSentinels.map(parseEntry);
    const withCredentials = entries.find((e) => e.password !== undefined);
    return {
      mode: 'sentinel',
      sentinels: entries.map(({ host, port }) => ({ host, port })),
      name: settings.redisSentinelName ?? 'mymaster',
      tls: entries.some((e) => e.tls),
      // Credentials in the entries are the Sentinels' own; REDIS_PASSWORD is the master's.
      sentinelUsername: withCredentials?.username,
      sentinelPassword: withCredentials?.password,
      password,
    };
  }
  if (settings.redisUrl) return { mode: 'single', url: settings.redisUrl, password };
  return undefined;
}

/** Where a target points, for messages: hosts and mode, never a credential. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.mode) {
    case 'single':
      return target.url.replace(/\/\/[^@/]*@/, '//***@');
    case 'cluster':
      return `cluster ${list(target.nodes)}${target.tls ? ' (TLS)' : ''}`;
    case 'sentinel':
      return `sentinel master "${target.name}" via ${list(target.sentinels)}${target.tls ? ' (TLS)' : ''}`;
  }
}

/** The variable a user set for this mode, for error messages. */
export function redisVariableOf(target: RedisTarget): string {
  return { single: 'REDIS_URL', cluster: 'REDIS_CLUSTER_NODES', sentinel: 'REDIS_SENTINELS' }[target.mode];
}

/**
 * Opens a client. `options` are the per-connection settings (retries, timeouts, lazyConnect); on a
 * cluster they apply to every node's connection, and a command hitting a slot whose master just
 * failed is retried until a replica has taken over (`retryDelayOnClusterDown`, `retryDelayOnFailover`).
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  switch (target.mode) {
    case 'single':
      // ioredis reads the URL first: a password there wins, REDIS_PASSWORD fills in when it has none.
      return new Redis(target.url, { ...options, ...(target.password !== undefined ? { password: target.password } : {}) });
    case 'cluster': {
      const { lazyConnect, maxRetriesPerRequest, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
        // A failover takes the cluster-node-timeout plus an election; commands wait it out.
        retryDelayOnClusterDown: 300,
        retryDelayOnFailover: 300,
        retryDelayOnTryAgain: 300,
        maxRedirections: 64,
        clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
        redisOptions: {
          ...nodeOptions,
          ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}),
          ...(target.username !== undefined ? { username: target.username } : {}),
          ...(target.password !== undefined ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
        },
      };
      return new Cluster(target.nodes, clusterOptions);
    }
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        ...(target.username !== undefined ? { username: target.username } : {}),
        ...(target.password !== undefined ? { password: target.password } : {}),
        ...(target.sentinelUsername !== undefined ? { sentinelUsername: target.sentinelUsername } : {}),
        ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
  }
}

/** Resolves once a client is ready (a Cluster is ready once it knows the slots). */
export async function connectRedisClient(client: RedisClient): Promise<void> {
  if (client.status === 'wait') await client.connect();
  await client.ping();
}

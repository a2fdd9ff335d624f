/**
 * Real Redis topologies on loopback for the cluster and Sentinel suites: a Redis Cluster
 * (`redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`), or one
 * master + one replica + one Sentinel. Every process runs in a temporary directory on its own
 * ports and is shut down by `close()`; nothing touches the shared Redis on 6379.
 *
 * Without `redis-server` on the PATH a suite is skipped loudly; under CI or
 * DEALWATCH_REQUIRE_SERVICES=1 a missing binary fails the run instead.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const HOST = '127.0.0.1';

/** True when redis-server and redis-cli run; throws under CI / DEALWATCH_REQUIRE_SERVICES=1 when they do not. */
export async function redisServerAvailable(): Promise<boolean> {
  try {
    await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return true;
  } catch {
    if (process.env.CI || process.env.DEALWATCH_REQUIRE_SERVICES === '1') {
      throw new Error('redis-server and redis-cli are required (CI / DEALWATCH_REQUIRE_SERVICES=1) but are not on the PATH');
    }
    console.warn('\n*** SKIPPED: redis-server / redis-cli not found; the Redis Cluster and Sentinel suites were skipped ***\n');
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * The first run of `count` free ports from `preferred` (stepping by `count`), with their cluster
 * bus ports (+10000) free too when `bus`: a port left taken by another run moves the suite along
 * instead of failing it.
 */
async function freePortRun(preferred: number, count: number, bus: boolean): Promise<number> {
  for (let base = preferred; base < preferred + 40 * count; base += count) {
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const wanted = bus ? [...ports, ...ports.map((p) => p + 10_000)] : ports;
    if ((await Promise.all(wanted.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} free loopback ports from ${preferred}`);
}

async function startNode(dir: string, port: number, extra: string[]): Promise<void> {
  await run('redis-server', [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'yes',
    '--dir',
    dir,
    '--pidfile',
    path.join(dir, `${port}.pid`),
    '--logfile',
    path.join(dir, `${port}.log`),
    ...extra,
  ]);
  await until(async () => ping(port), 10_000, `redis-server on ${port}`);
}

async function ping(port: number): Promise<boolean> {
  // No ready check: it would fail on a server behind a password before PING could say so.
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    // A server behind a password is up: it answers, with NOAUTH.
    return /NOAUTH/.test(String(error));
  } finally {
    client.disconnect();
  }
}

/** Runs a command on one node and closes the connection. */
export async function onNode<T>(port: number, work: (client: Redis) => Promise<T>, password?: string): Promise<T> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 1,
    ...(password ? { password } : {}),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LocalCluster {
  /** `host:port,...` of every node, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  /** Ports of the nodes that are masters now. */
  masterPorts(): Promise<number[]>;
  /** Every key on one node (SCAN). */
  keysOn(port: number): Promise<string[]>;
  /** Stops one node (SHUTDOWN NOSAVE after its replicas caught up). */
  stopNode(port: number): Promise<void>;
  /** Waits until the cluster serves every slot again. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A cluster of `masters` masters, each with `replicasPerMaster` replicas, on ports from `basePort`
 * (or the next free run)...
 * (the cluster bus takes port + 10000). `nodeTimeoutMs` is how soon a stopped master is failed over.
 */
export async function startRedisCluster(options: {
  basePort: number;
  masters?: number;
  replicasPerMaster?: number;
  nodeTimeoutMs?: number;
}): Promise<LocalCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const count = masters * (1 + replicas);
  const basePort = await freePortRun(options.basePort, count, true);
  const ports = Array.from({ length: count }, (_, i) => basePort + i);
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-redis-cluster-'));
  const stopped = new Set<number>();
  const live = () => ports.filter((p) => !stopped.has(p));
  const close = async () => {
    await Promise.all(live().map((port) => onNode(port, (c) => c.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      ports.map((port) =>
        startNode(dir, port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 2000),
        ]),
      ),
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    const cluster: LocalCluster = {
      nodes: ports.map((p) => `${HOST}:${p}`).join(','),
      masterPorts: async () => {
        const roles = await Promise.all(
          live().map(async (port) => ({ port, role: await onNode(port, (c) => c.role()).catch(() => ['down']) })),
        );
        return roles.filter((r) => r.role[0] === 'master').map((r) => r.port);
      },
      keysOn: (port) =>
        onNode(port, async (c) => {
          const keys: string[] = [];
          let cursor = '0';
          do {
            const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
            keys.push(...batch);
            cursor = next;
          } while (cursor !== '0');
          return keys;
        }),
      stopNode: async (port) => {
        stopped.add(port);
        // Redis 7 lets a master's replicas catch up before it exits (shutdown-timeout).
        await onNode(port, (c) => c.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined);
      },
      waitHealthy: (timeoutMs = 30_000) =>
        until(
          async () => {
            const states = await Promise.all(
              live().map((port) => onNode(port, async (c) => /cluster_state:ok/.test(String(await c.cluster('INFO')))).catch(() => false)),
            );
            return states.every(Boolean);
          },
          timeoutMs,
          'cluster_state:ok on every node',
        ),
      close,
    };
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await close();
    throw error;
  }
}

export interface LocalSentinel {
  /** `host:port` of the Sentinel, as REDIS_SENTINELS takes it. */
  sentinels: string;
  name: string;
  masterPort: number;
  close(): Promise<void>;
}

/** One master, one replica and one Sentinel watching them (quorum 1), on `basePort`, +1, +2. */
export async function startRedisSentinel(options: { basePort: number; name?: string; password?: string }): Promise<LocalSentinel> {
  const name = options.name ?? 'dwmaster';
  const basePort = await freePortRun(options.basePort, 3, false);
  const [masterPort, replicaPort, sentinelPort] = [basePort, basePort + 1, basePort + 2];
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-redis-sentinel-'));
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
  const close = async () => {
    await Promise.all(
      [sentinelPort, replicaPort, masterPort].map((port) =>
        onNode(port, (c) => c.call('SHUTDOWN', 'NOSAVE'), port === sentinelPort ? undefined : options.password).catch(() => undefined),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await startNode(dir, masterPort, auth);
    await startNode(dir, replicaPort, [...auth, '--replicaof', HOST, String(masterPort)]);
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        `bind ${HOST}`,
        `daemonize yes`,
        `dir ${dir}`,
        `pidfile ${path.join(dir, 'sentinel.pid')}`,
        `logfile ${path.join(dir, 'sentinel.log')}`,
        `sentinel monitor ${name} ${HOST} ${masterPort} 1`,
        ...(options.password ? [`sentinel auth-pass ${name} ${options.password}`] : []),
        `sentinel down-after-milliseconds ${name} 2000`,
        '',
      ].join('\n'),
    );
    await run('redis-server', [conf, '--sentinel']);
    await until(async () => ping(sentinelPort), 10_000, 'the Sentinel');
    await until(
      () => onNode(sentinelPort, async (c) => Array.isArray(await c.call('SENTINEL', 'get-master-addr-by-name', name))).catch(() => false),
      10_000,
      'the Sentinel to know its master',
    );
    return { sentinels: `${HOST}:${sentinelPort}`, name, masterPort, close };
  } catch (error) {
    await close();
    throw error;
  }
}

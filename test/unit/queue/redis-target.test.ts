/** How the Redis settings become a connection target: modes, TLS and which password wins. */
import { describe, expect, it } from 'vitest';
import { describeRedisTarget, redisTargetOf } from '../../../src/queue/redis.js';

describe('redisTargetOf', () => {
  it('is undefined without Redis settings (queues on PostgreSQL)', () => {
    expect(redisTargetOf({})).toBeUndefined();
  });

  it('reads cluster entries as host:port, TLS when any entry says rediss://, credentials from an entry before REDIS_PASSWORD', () => {
    expect(redisTargetOf({ redisClusterNodes: ['10.0.0.1:7000', 'rediss://app:s3cret@10.0.0.2:7001'], redisPassword: 'fallback' })).toEqual(
      {
        mode: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
        ],
        tls: true,
        username: 'app',
        password: 's3cret',
      },
    );
    expect(redisTargetOf({ redisClusterNodes: ['10.0.0.1:7000'], redisPassword: 'fallback' })).toMatchObject({
      tls: false,
      password: 'fallback',
    });
  });

  it('keeps the Sentinels’ own credentials apart from the master’s password', () => {
    expect(
      redisTargetOf({
        redisSentinels: ['redis://:sentinel-pw@s1:26379', 's2:26380'],
        redisSentinelName: 'main',
        redisPassword: 'master-pw',
      }),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'main',
      tls: false,
      sentinelUsername: undefined,
      sentinelPassword: 'sentinel-pw',
      password: 'master-pw',
    });
  });

  it('never shows a credential when it describes a target', () => {
    const targets = [
      redisTargetOf({ redisUrl: 'rediss://user:pw-single@h:6380/0' })!,
      redisTargetOf({ redisClusterNodes: ['redis://:pw-cluster@h:7000'] })!,
      redisTargetOf({ redisSentinels: ['redis://:pw-sentinel@h:26379'], redisSentinelName: 'm', redisPassword: 'pw-master' })!,
    ];
    for (const target of targets) expect(describeRedisTarget(target)).not.toMatch(/pw-/);
  });
});

/**
 * What every processor is built from. Everything with I/O comes in here (store, queue producers,
 * connectors, clock), so tests run the processors on real backends they control.
 */
import type { ConnectionSettings, DigestSettings } from '../src/domain/model/index.js';
import type { Store } from '../src/store/types.js';
import type { QueueSystem } from '../src/queue/index.js';
import type { CrmConnector } from '../connectors/types.js';
import type { Log } from '../src/logger.js';
import { createConnector, rateLimitsOf } from '../connectors/registry.js';
import { ConfigError } from '../src/domain/errors.js';
import type { PipelineMetrics } from '../src/metrics.js';
import { apiCallCounter } from './metrics.js';

/** What digests need beyond the pipeline: their settings and where they link and mail from. */
export interface DigestDeps {
  digests: () => readonly DigestSettings[];
  /** `publicUrl`, for the web app's deal pages; null leaves those links out. */
  publicUrl: string | null;
  /** `SMTP_URL`. */
  smtpUrl: string | undefined;
  /** `DIGEST_FROM`. */
  digestFrom: string;
}

/** What a caller may watch on a connector it builds (a sync's progress). */
export interface ConnectorObserver {
  /** The connection's rate gate held a call back this long (ms). */
  onRateWait?(ms: number): void;
}

/** Builds the connector of a connection (the registry in production, a fake port in unit tests). */
export type ConnectorBuilder = (settings: ConnectionSettings, observer?: ConnectorObserver) => CrmConnector;

export interface PipelineDeps {
  store: Store;
  queues: QueueSystem;
  /** The configured connections (secrets included). */
  connections: () => readonly ConnectionSettings[];
  connectorFor: ConnectorBuilder;
  logger: Log;
  clock: () => Date;
  /** Where the processors count. @defaultValue the process's (src/metrics.ts) */
  metrics?: PipelineMetrics | undefined;
  /** Scheduled digests; without them a digest job fails as a configuration error. */
  digests?: DigestDeps | undefined;
}

/** The registry's connectors, each behind the connection's rate gate shared by every worker. */
export function registryConnectors(queues: QueueSystem, logger: Log, metrics?: PipelineMetrics): ConnectorBuilder {
  return (settings, observer) => {
    const limits = rateLimitsOf(settings);
    return createConnector(settings, {
      rateGate: queues.rateGates.gateFor(settings.id, limits, observer?.onRateWait ? (ms) => observer.onRateWait?.(ms) : undefined),
      // The connector names its module (`connector.hubspot`); the connection is bound once, here.
      logger: logger.child({ connection: settings.id }),
      ...(metrics ? { onApiCall: apiCallCounter(metrics, settings) } : {}),
    });
  };
}

/** The settings of a configured connection; a job for an unknown one is a configuration error. */
export function settingsOf(deps: Pick<PipelineDeps, 'connections'>, connectionId: string): ConnectionSettings {
  const settings = deps.connections().find((c) => c.id === connectionId);
  if (!settings) throw new ConfigError([`connections: no connection "${connectionId}" is configured`]);
  return settings;
}

/** Connectors cached per connection, for the per-deal fast path (syncs build their own, to count usage). */
export class ConnectorCache {
  private readonly cache = new Map<string, { settings: ConnectionSettings; connector: CrmConnector }>();
  constructor(private readonly build: ConnectorBuilder) {}

  get(settings: ConnectionSettings): CrmConnector {
    const hit = this.cache.get(settings.id);
    if (hit && hit.settings === settings) return hit.connector;
    const connector = this.build(settings);
    this.cache.set(settings.id, { settings, connector });
    return connector;
  }
}

/** Splits a list into chunks of `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

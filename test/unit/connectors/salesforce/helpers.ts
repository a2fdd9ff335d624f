import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { SalesforceConnection } from '../../../../src/domain/model/index.js';
import type { ConnectorDeps, RateGate } from '../../../../connectors/types.js';
import { SalesforceConnector, type SalesforceConnectorOptions } from '../../../../connectors/salesforce/connector.js';

export const INSTANCE = 'https://acme.my.salesforce.com';
export const LOGIN = 'https://login.salesforce.com';
export const API = '/services/data/v62.0';

const fixtureDir = fileURLToPath(new URL('../../../fixtures/salesforce/', import.meta.url));

/** A recorded payload; JSON fixtures with a `body` wrapper return the body. */
export function fixture<T = unknown>(name: string): T {
  const text = readFileSync(fixtureDir + name, 'utf8');
  if (!name.endsWith('.json')) return text as T;
  const json = JSON.parse(text) as Record<string, unknown>;
  return ('body' in json ? json.body : json) as T;
}

export const noopGate: RateGate & { taken: number } = {
  taken: 0,
  take() {
    this.taken += 1;
    return Promise.resolve();
  },
};

export function deps(rateGate: RateGate = noopGate): ConnectorDeps {
  return { rateGate, logger: pino({ level: 'silent' }) };
}

export function settings(overrides: Record<string, unknown> = {}): SalesforceConnection {
  return SalesforceConnection.parse({
    id: 'sf1',
    provider: 'salesforce',
    instanceUrl: INSTANCE,
    auth: { type: 'accessToken', accessToken: '00DRO000000abcd!OLDTOKEN' },
    organizationId: '00DRO000000abcdMAA',
    outboundMessageToken: 'tok-123456',
    fieldMap: { lostReason: 'Loss_Reason__c' },
    ...overrides,
  });
}

export const fastRetry = { retryPolicy: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5, maxRetryAfterMs: 5_000 } };

export function connector(overrides: Record<string, unknown> = {}, options: SalesforceConnectorOptions = {}): SalesforceConnector {
  return new SalesforceConnector(settings(overrides), deps(), { ...fastRetry, now: () => Date.parse('2026-11-26T12:00:00Z'), ...options });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The `q` parameter of a query URL. */
export const soqlOf = (uri: string): string => new URL(uri, INSTANCE).searchParams.get('q') ?? '';

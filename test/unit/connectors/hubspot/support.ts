/** Shared set-up of the HubSpot connector unit tests: settings, a no-op RateGate, a silent logger, fixtures. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import type { RateGate } from '../../../../connectors/types.js';

export const BASE_URL = 'https://api.hubapi.com';
export const NOW = Date.parse('2026-11-26T12:00:00.000Z');

export function fixture<T = Record<string, unknown>>(name: string): T {
  const path = fileURLToPath(new URL(`../../../fixtures/hubspot/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const noopGate: RateGate & { taken: string[] } = {
  taken: [],
  async take(bucket: string) {
    noopGate.taken.push(bucket);
  },
};

export function settings(overrides: Record<string, unknown> = {}): HubSpotConnection {
  return HubSpotConnection.parse({
    id: 'hs-test',
    provider: 'hubspot',
    accessToken: 'pat-na1-test-token',
    baseUrl: BASE_URL,
    webhookSecret: 'client-secret',
    ...overrides,
  });
}

export const fastRetry = { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5, maxRetryAfterMs: 1_500 };

export function connector(overrides: Record<string, unknown> = {}, retry = fastRetry): HubSpotConnector {
  return new HubSpotConnector(settings(overrides), { rateGate: noopGate, logger: pino({ level: 'silent' }) }, { retry, now: () => NOW });
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** HubSpot as the rest of dealwatch sees it: registered in connectors/registry.ts under `hubspot`. */
import { HubSpotConnection } from '../../src/domain/model/index.js';
import type { ProviderDescriptor } from '../types.js';
import { HubSpotConnector } from './connector.js';
import { hubspotWebhookVerifier } from './webhooks.js';

/**
 * Where a person opens a deal in HubSpot: `https://app.hubspot.com/contacts/{portalId}/record/0-3/{dealId}`
 * (0-3 is the deals object type id). Without the connection's `portalId` there is no link to give.
 * https://knowledge.hubspot.com/records/view-records (record URL shape)
 */
export function hubspotDealUrl(settings: Pick<HubSpotConnection, 'portalId'>, dealId: string): string | null {
  if (!settings.portalId) return null;
  return `https://app.hubspot.com/contacts/${encodeURIComponent(settings.portalId)}/record/0-3/${encodeURIComponent(dealId)}`;
}

/**
 * Builds HubSpot connectors and webhook verifiers from a connection's settings. A public app signs
 * its webhooks with its client secret, so with OAuth `webhookSecret` defaults to `auth.clientSecret`.
 */
export const hubspotDescriptor: ProviderDescriptor<HubSpotConnection> = {
  provider: 'hubspot',
  label: 'HubSpot',
  settings: HubSpotConnection,
  // Private apps: 100 requests / 10 s, and the search endpoints 5 / s
  // (HubSpot's API usage guidelines).
  rateLimits: { default: { requests: 100, perMs: 10_000 }, search: { requests: 5, perMs: 1_000 } },
  // The batch update / create endpoints take 100 inputs a request.
  writebackBatchSize: 100,
  defaultWarningRecord: 'note',
  create: (settings, deps) => new HubSpotConnector(settings, deps),
  webhookVerifier: (settings) =>
    hubspotWebhookVerifier(
      settings.webhookSecret === undefined && settings.auth?.type === 'oauth'
        ? { ...settings, webhookSecret: settings.auth.clientSecret }
        : settings,
    ),
  recordUrl: hubspotDealUrl,
};

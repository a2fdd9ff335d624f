import type { HubSpotConnection } from '../../src/domain/model/index.js';
import type { ConnectorFactory } from '../types.js';
import { HubSpotConnector } from './connector.js';
import { hubspotWebhookVerifier } from './webhooks.js';
import { hubspotDealUrl } from './record-url.js';

export { HubSpotConnector, type HubSpotConnectorOptions } from './connector.js';
export { hubspotWebhookVerifier, verifyHubSpotSignature } from './webhooks.js';

/**
 * Builds HubSpot connectors and webhook verifiers from a connection's settings. A public app signs
 * its webhooks with its client secret, so with OAuth `webhookSecret` defaults to `auth.clientSecret`.
 */
export const hubspotFactory: ConnectorFactory<HubSpotConnection> = {
  provider: 'hubspot',
  create: (settings, deps) => new HubSpotConnector(settings, deps),
  webhookVerifier: (settings) =>
    hubspotWebhookVerifier(
      settings.webhookSecret === undefined && settings.auth?.type === 'oauth' ? { ...settings, webhookSecret: settings.auth.clientSecret } : settings,
    ),
  recordUrl: hubspotDealUrl,
};

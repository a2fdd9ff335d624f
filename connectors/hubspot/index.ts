import type { HubSpotConnection } from '../../src/domain/model/index.js';
import type { ConnectorFactory } from '../types.js';
import { HubSpotConnector } from './connector.js';
import { hubspotWebhookVerifier } from './webhooks.js';

export { HubSpotConnector, type HubSpotConnectorOptions } from './connector.js';
export { hubspotWebhookVerifier, verifyHubSpotSignature } from './webhooks.js';

/** Builds HubSpot connectors and webhook verifiers from a connection's settings. */
export const hubspotFactory: ConnectorFactory<HubSpotConnection> = {
  provider: 'hubspot',
  create: (settings, deps) => new HubSpotConnector(settings, deps),
  webhookVerifier: (settings) => hubspotWebhookVerifier(settings),
};

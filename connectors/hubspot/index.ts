/** HubSpot connector: its descriptor is registered in connectors/registry.ts. */
export { hubspotDescriptor, hubspotDealUrl } from './descriptor.js';
export { HubSpotConnector, type HubSpotConnectorOptions } from './connector.js';
export { hubspotWebhookVerifier, verifyHubSpotSignature } from './webhooks.js';

/** Salesforce connector: registered in connectors/registry.ts under `salesforce`. */
import type { ConnectorFactory } from '../types.js';
import type { SalesforceConnection } from '../../src/domain/model/index.js';
import { SalesforceConnector } from './connector.js';
import { salesforceWebhookVerifier } from './webhooks.js';
import { salesforceOpportunityUrl } from './record-url.js';

export const salesforceFactory: ConnectorFactory<SalesforceConnection> = {
  provider: 'salesforce',
  create: (settings, deps) => new SalesforceConnector(settings, deps),
  webhookVerifier: (settings) => salesforceWebhookVerifier(settings),
  recordUrl: salesforceOpportunityUrl,
};

export { SalesforceConnector, type SalesforceConnectorOptions } from './connector.js';
export { outboundAckBody, soapFaultBody, SOAP_CONTENT_TYPE } from './webhooks.js';

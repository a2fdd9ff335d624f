/** Salesforce connector: its descriptor is registered in connectors/registry.ts. */
export { salesforceDescriptor, salesforceOpportunityUrl } from './descriptor.js';
export { SalesforceConnector, type SalesforceConnectorOptions } from './connector.js';
export { outboundAckBody, soapFaultBody, SOAP_CONTENT_TYPE } from './webhooks.js';

/** Salesforce as the rest of dealwatch sees it: registered in connectors/registry.ts under `salesforce`. */
import { SalesforceConnection } from '../../src/domain/model/index.js';
import type { ProviderDescriptor } from '../types.js';
import { SalesforceConnector } from './connector.js';
import { salesforceWebhookVerifier } from './webhooks.js';

/**
 * Where a person opens an opportunity in Lightning Experience:
 * `{instanceUrl}/lightning/r/Opportunity/{id}/view`. Without the connection's `instanceUrl` (an
 * OAuth login learns it only at run time) there is no link to give.
 * https://developer.salesforce.com/docs/atlas.en-us.lightning.meta/lightning/components_navigation_page_definitions.htm
 */
export function salesforceOpportunityUrl(settings: Pick<SalesforceConnection, 'instanceUrl'>, opportunityId: string): string | null {
  if (!settings.instanceUrl) return null;
  return `${settings.instanceUrl.replace(/\/+$/, '')}/lightning/r/Opportunity/${encodeURIComponent(opportunityId)}/view`;
}

export const salesforceDescriptor: ProviderDescriptor<SalesforceConnection> = {
  provider: 'salesforce',
  label: 'Salesforce',
  settings: SalesforceConnection,
  // No short-window limit, only concurrency (25 long calls) and a daily quota: a ceiling of 25 / s
  // keeps a sync polite without slowing it much.
  rateLimits: { default: { requests: 25, perMs: 1_000 } },
  // sObject Collections take 200 records a request.
  writebackBatchSize: 200,
  defaultWarningRecord: 'task',
  create: (settings, deps) => new SalesforceConnector(settings, deps),
  webhookVerifier: (settings) => salesforceWebhookVerifier(settings),
  recordUrl: salesforceOpportunityUrl,
};

import type { SalesforceConnection } from '../../src/domain/model/index.js';

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

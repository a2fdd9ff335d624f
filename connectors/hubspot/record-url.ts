import type { HubSpotConnection } from '../../src/domain/model/index.js';

/**
 * Where a person opens a deal in HubSpot: `https://app.hubspot.com/contacts/{portalId}/record/0-3/{dealId}`
 * (0-3 is the deals object type id). Without the connection's `portalId` there is no link to give.
 * https://knowledge.hubspot.com/records/view-records (record URL shape)
 */
export function hubspotDealUrl(settings: Pick<HubSpotConnection, 'portalId'>, dealId: string): string | null {
  if (!settings.portalId) return null;
  return `https://app.hubspot.com/contacts/${encodeURIComponent(settings.portalId)}/record/0-3/${encodeURIComponent(dealId)}`;
}

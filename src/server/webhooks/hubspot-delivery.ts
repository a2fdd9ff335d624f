/** The shape of a HubSpot webhook delivery, checked before anything else reads it. */
import { z } from 'zod';

/**
 * One event of a delivery. Only what routing needs is required; the connector's parser reads the rest.
 * @see https://developers.hubspot.com/docs/api/webhooks#webhook-payloads
 * @see https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
 */
export const HubSpotDeliveryEvent = z.looseObject({
  portalId: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
  // Association change events name their objects in fromObjectId/toObjectId and carry no objectId.
  objectId: z.union([z.number().int(), z.string().min(1)]).optional(),
  occurredAt: z.union([z.number(), z.string().min(1)]),
  eventId: z.union([z.number(), z.string()]).optional(),
  subscriptionType: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
});

/** HubSpot sends at most 100 events a request. */
export const HubSpotDelivery = z.array(HubSpotDeliveryEvent).min(1).max(100);

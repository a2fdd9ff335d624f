/** Which connection each event of a HubSpot delivery belongs to (by portalId). */
import type { ConnectionSettings, HubSpotConnection } from '../../domain/model/index.js';
import type { HubSpotDeliveryEvent } from './hubspot-delivery.js';
import type { z } from 'zod';

export interface PortalRouting {
  /** Raw events per connection, in delivery order (what the connection's parser reads). */
  byConnection: Map<HubSpotConnection, unknown[]>;
  /** Events whose portal no connection has. */
  unknownPortal: number;
}

export function routeByPortal(
  events: readonly z.output<typeof HubSpotDeliveryEvent>[],
  raw: readonly unknown[],
  connections: readonly ConnectionSettings[],
): PortalRouting {
  const byPortal = new Map<string, HubSpotConnection>();
  for (const c of connections) if (c.provider === 'hubspot' && c.portalId !== undefined) byPortal.set(c.portalId, c);
  const byConnection = new Map<HubSpotConnection, unknown[]>();
  let unknownPortal = 0;
  events.forEach((event, index) => {
    const connection = byPortal.get(event.portalId);
    if (connection === undefined) {
      unknownPortal += 1;
      return;
    }
    const list = byConnection.get(connection);
    if (list === undefined) byConnection.set(connection, [raw[index]]);
    else list.push(raw[index]);
  });
  return { byConnection, unknownPortal };
}

/** What the HubSpot surface works on: the book, its credentials, and the properties created through the API. */
import type { BookStore } from '../book-store.js';
import type { CallLog } from '../call-log.js';
import { standardDealProperties, type PropertyDefinition } from './properties.js';

export interface HubSpotCredentials {
  accessToken: string;
  /** The app's client secret: the key of webhook signatures. */
  webhookSecret: string;
  portalId: number;
  appId: number;
}

export class HubSpotContext {
  /** Deal properties by name: the standard ones plus those created through `POST /crm/v3/properties/deals`. */
  readonly dealProperties = new Map<string, PropertyDefinition>();
  readonly customDealProperties = new Set<string>();

  constructor(
    readonly store: BookStore,
    readonly log: CallLog,
    readonly credentials: HubSpotCredentials,
  ) {
    for (const p of standardDealProperties(store)) this.dealProperties.set(p.name, p);
  }

  addCustomDealProperty(p: PropertyDefinition): void {
    this.dealProperties.set(p.name, p);
    this.customDealProperties.add(p.name);
  }
}

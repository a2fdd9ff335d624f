/**
 * HubSpot webhooks: deal.creation, deal.deletion and deal.propertyChange (dealstage) events,
 * POSTed in batches (at most 100 events) and signed as HubSpot signs them:
 * X-HubSpot-Signature-v3 = base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp)),
 * X-HubSpot-Request-Timestamp = ms epoch; plus the v1 signature (sha256 hex of secret + body).
 * The `uri` is the target URL as the receiver sees it, with the percent-escapes HubSpot's docs
 * list decoded (a receiver decodes the same ones before computing the hash):
 * https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature
 */
import { createHash, createHmac } from 'node:crypto';
import type { DealChange } from '../book-store.js';
import { Deliverer, type DeliveryAttempt, type RetryPolicy } from '../delivery.js';
import type { BookStore } from '../book-store.js';
import type { HubSpotCredentials } from './context.js';

export interface HubSpotWebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType:
    'deal.creation' | 'deal.deletion' | 'deal.propertyChange' | 'object.creation' | 'object.deletion' | 'object.propertyChange';
  /** Generic format: the object type (deals: 0-3). */
  objectTypeId?: string;
  sourceId?: string;
  attemptNumber: number;
  objectId: number;
  changeSource: string;
  propertyName?: string;
  propertyValue?: string;
}

const SUBSCRIPTION_IDS = { 'deal.creation': 2_101_001, 'deal.deletion': 2_101_002, 'deal.propertyChange': 2_101_003 } as const;

/**
 * The escapes HubSpot's v3 algorithm decodes in the request URI (the docs' table, uppercase hex
 * as listed there); every other escape stays encoded.
 */
const V3_DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/**
 * The URI that goes into the v3 source string for a webhook target: the URL as it goes on the
 * wire (WHATWG-normalised, as fetch sends it and the receiver reconstructs it) with the listed
 * escapes decoded.
 */
export function v3SignedUri(targetUrl: string): string {
  return new URL(targetUrl).href.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/g, (escape) => V3_DECODED_ESCAPES[escape] ?? escape);
}

/** The v3 signature over an already-prepared URI (see {@link v3SignedUri}). */
export function signV3(secret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

export class HubSpotWebhookEmitter {
  private nextEventId = 1;
  private readonly generic: boolean;
  /** Deal properties subscribed to propertyChange. */
  private readonly properties: Set<string>;
  private readonly deliverer: Deliverer<Omit<HubSpotWebhookEvent, 'attemptNumber'>>;

  constructor(
    private readonly store: BookStore,
    private readonly credentials: HubSpotCredentials,
    url: string,
    options: {
      retry: RetryPolicy;
      batchDelayMs: number;
      record(a: DeliveryAttempt): void;
      wallNow?: () => number;
      format?: 'legacy' | 'generic';
      properties?: string[];
    },
  ) {
    this.generic = options.format === 'generic';
    this.properties = new Set(options.properties ?? ['dealstage']);
    const wallNow = options.wallNow ?? Date.now;
    const signedUri = v3SignedUri(url);
    this.deliverer = new Deliverer({
      provider: 'hubspot',
      url,
      maxBatch: 100,
      batchDelayMs: options.batchDelayMs,
      retry: options.retry,
      build: (events, attempt) => {
        const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt - 1 })));
        const timestamp = String(wallNow());
        return {
          body,
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor',
            'X-HubSpot-Signature-v3': signV3(this.credentials.webhookSecret, 'POST', signedUri, body, timestamp),
            'X-HubSpot-Request-Timestamp': timestamp,
            'X-HubSpot-Signature': createHash('sha256')
              .update(this.credentials.webhookSecret + body)
              .digest('hex'),
            'X-HubSpot-Signature-Version': 'v1',
          },
        };
      },
      accepted: (status) => status >= 200 && status < 300,
      record: options.record,
    });
    store.onChange((change) => this.onChange(change));
  }

  /**
   * One event per subscribed change. Generic subscriptions (current developer platform, expanded
   * object support) send `object.*` with `objectTypeId`; legacy ones `deal.*`. A change the app made
   * through the API carries changeSource INTEGRATION and the app id as sourceId.
   * https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
   */
  private onChange(change: DealChange): void {
    const base = {
      portalId: this.credentials.portalId,
      appId: this.credentials.appId,
      occurredAt: change.at,
      objectId: Number(change.deal.id),
      ...(change.type === 'propertyChange' && change.viaApi
        ? { changeSource: 'INTEGRATION', sourceId: String(this.credentials.appId) }
        : { changeSource: 'CRM_UI' }),
      ...(this.generic ? { objectTypeId: '0-3' } : {}),
    };
    const typeOf = (action: 'creation' | 'deletion' | 'propertyChange') =>
      this.generic ? (`object.${action}` as const) : (`deal.${action}` as const);
    if (change.type === 'propertyChange') {
      const changed: [string, string][] = [];
      if (change.property === 'stage') changed.push(['dealstage', this.store.stageOf(change.deal).id]);
      for (const name of change.custom ?? []) changed.push([name, String(change.deal.custom?.[name] ?? '')]);
      for (const [propertyName, propertyValue] of changed) {
        if (!this.properties.has(propertyName)) continue;
        this.deliverer.enqueue({
          ...base,
          eventId: this.nextEventId++,
          subscriptionId: SUBSCRIPTION_IDS['deal.propertyChange'],
          subscriptionType: typeOf('propertyChange'),
          propertyName,
          propertyValue,
        });
      }
      return;
    }
    const action = change.type === 'creation' ? 'creation' : 'deletion';
    this.deliverer.enqueue({
      ...base,
      eventId: this.nextEventId++,
      subscriptionId: SUBSCRIPTION_IDS[`deal.${action}`],
      subscriptionType: typeOf(action),
    });
  }

  drain(): Promise<void> {
    return this.deliverer.drain();
  }
  close(): void {
    this.deliverer.close();
  }
}

/**
 * The only file that imports @hubspot/api-client. Every call goes through `send`, which takes a
 * permit from the connection's RateGate, counts the call, classifies failures into `CrmError`s and
 * retries the retryable ones (the one retry layer: the SDK's own retries and limiter are off).
 * Responses are returned as `unknown`; schemas.ts parses them.
 *
 * Auth: a private app's token is sent as is (a 401 is CRM.AUTH at once). With OAuth (public app)
 * an `OAuthSession` exchanges the refresh token for access tokens, lazily and shortly before they
 * expire; a 401 refreshes once (one refresh in flight per connection, concurrent callers share it)
 * and the call is repeated once with the new token. That repetition is not a retry of the failure
 * kinds `withRetry` handles: a second 401 or a refused refresh is CRM.AUTH, never retried.
 */
import type { Log } from '../../src/logger.js';
import { Client } from '@hubspot/api-client';
import { z } from 'zod';
import { CrmError } from '../../src/domain/errors.js';
import type { HubSpotConnection, HubSpotOAuth } from '../../src/domain/model/index.js';
import type { RateGate } from '../types.js';
import { type RetryPolicy, withRetry } from '../shared/retry.js';
import { classifyError, header } from './errors.js';
import type { UsageCounter } from '../shared/usage.js';

export type HubSpotObjectType = 'deals' | 'calls' | 'emails' | 'meetings' | 'notes' | 'tasks' | 'companies' | 'contacts';

/** A connection's id (named in auth errors) and credentials: exactly one of `accessToken` (private app) and `auth` (OAuth). */
export type HubSpotCredentials = Pick<HubSpotConnection, 'id' | 'accessToken' | 'auth'>;

export interface HubSpotClientOptions {
  baseUrl: string;
  /** Who calls: the connection's id and credentials. */
  connection: HubSpotCredentials;
  rateGate: RateGate;
  usage: UsageCounter;
  retry: RetryPolicy;
  logger: Log;
  /** Clock that OAuth access tokens expire on. @defaultValue Date.now */
  now?: () => number;
}

/** A search request body as HubSpot documents it (sorts are objects; the SDK types them as strings). */
export interface SearchRequest {
  filterGroups: { filters: { propertyName: string; operator: string; value?: string; values?: string[]; highValue?: string }[] }[];
  sorts: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  properties: string[];
  limit: number;
  after?: string;
}

export interface BatchCreateInput {
  properties: Record<string, string>;
  associations: { to: { id: string }; types: { associationCategory: 'HUBSPOT_DEFINED'; associationTypeId: number }[] }[];
  objectWriteTraceId?: string;
}

/** Raw answer of one call: HTTP status (200/201/207...) and the SDK-deserialised body. */
export interface RawResponse {
  status: number;
  body: unknown;
}

interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Rate-gate bucket. @defaultValue "default" */
  bucket?: 'default' | 'search';
  /**
   * False for creates: a 5xx or a reset may have written the records, so they are not retried here
   * (the caller looks the records up by key instead). 429/423 are always safe to retry.
   */
  idempotent?: boolean;
}

/**
 * Per-call SDK middleware that sets the bearer token, records status and headers, and keeps what
 * the SDK's error model drops: the 429 policy, and (token calls) the error code of a refused refresh.
 */
class ResponseObserver {
  status: number | null = null;
  headers: Record<string, string> = {};
  policyName: string | null = null;
  /** `status` (HubSpot: BAD_REFRESH_TOKEN...) or `error` (OAuth: invalid_grant) of a 4xx token answer. */
  errorCode: string | null = null;
  private readonly bearer: string | null;
  private readonly readErrorCodes: boolean;
  // Each generated SDK module declares its own (structurally identical) options type, hence `never`.
  readonly options: never;

  constructor(bearer: string | null, readErrorCodes = false) {
    this.bearer = bearer;
    this.readErrorCodes = readErrorCodes;
    this.options = {
      middlewareMergeStrategy: 'append' as const,
      middleware: [
        {
          pre: async (context: { setHeaderParam(name: string, value: string): void }) => {
            if (this.bearer !== null) context.setHeaderParam('Authorization', `Bearer ${this.bearer}`);
            return context;
          },
          post: async (context: {
            httpStatusCode: number;
            headers: Record<string, string>;
            body: { text(): Promise<string>; binary(): Promise<Buffer> };
          }) => {
            this.status = context.httpStatusCode;
            this.headers = context.headers;
            const status = context.httpStatusCode;
            if (status === 429 || (this.readErrorCodes && status >= 400 && status < 500)) {
              const text = await context.body.text();
              // The body stream can be read once: hand the SDK a replayable copy.
              context.body = { text: async () => text, binary: async () => Buffer.from(text) };
              try {
                const parsed = JSON.parse(text) as { policyName?: unknown; status?: unknown; error?: unknown };
                if (typeof parsed.policyName === 'string') this.policyName = parsed.policyName;
                const code = typeof parsed.error === 'string' ? parsed.error : parsed.status;
                if (this.readErrorCodes && typeof code === 'string' && /^[A-Za-z_]{1,64}$/.test(code)) this.errorCode = code;
              } catch {
                // Not JSON: the policy and code stay unknown.
              }
            }
            return context;
          },
        },
      ],
    } as never;
  }
}

/** The answer of `POST /oauth/v1/token` as the SDK deserialises it (snake_case mapped to camelCase). */
const TokenAnswer = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  expiresIn: z.number().positive(),
});

/** Where a call's bearer token comes from. */
interface TokenSource {
  /** True when a 401 may be cured by a refresh (OAuth). */
  readonly refreshable: boolean;
  /** A token believed valid. */
  token(): Promise<string>;
  /** A token newer than `stale` (one refresh in flight at a time, shared by every caller). */
  refresh(stale: string): Promise<string>;
}

class PrivateAppToken implements TokenSource {
  readonly refreshable = false;
  constructor(private readonly accessToken: string) {}
  async token(): Promise<string> {
    return this.accessToken;
  }
  async refresh(): Promise<string> {
    return this.accessToken;
  }
}

/** How long before expiry a token is replaced: a tenth of its lifetime (3 minutes of HubSpot's 30), at most 5 minutes. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(5 * 60_000, Math.floor(lifetimeMs / 10));
}

/**
 * OAuth access tokens of one connection. Held in memory only; a refresh token HubSpot sends back
 * replaces the configured one for the life of this process (HubSpot keeps earlier refresh tokens
 * valid until the app is uninstalled, so the configured one still works after a restart).
 */
class OAuthSession implements TokenSource {
  readonly refreshable = true;
  private current: { token: string; refreshAtMs: number } | null = null;
  private inFlight: Promise<string> | null = null;
  private refreshToken: string;

  constructor(
    auth: HubSpotOAuth,
    private readonly exchange: (refreshToken: string) => Promise<z.infer<typeof TokenAnswer>>,
    private readonly now: () => number,
    private readonly logger: Log,
  ) {
    this.refreshToken = auth.refreshToken;
  }

  token(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAtMs) return Promise.resolve(this.current.token);
    return this.refresh(this.current?.token ?? null);
  }

  refresh(stale: string | null): Promise<string> {
    if (this.inFlight) return this.inFlight;
    // Another caller already replaced the refused token: use its result, do not refresh twice.
    if (this.current && this.current.token !== stale && this.now() < this.current.refreshAtMs) return Promise.resolve(this.current.token);
    const pending = this.obtain().finally(() => {
      if (this.inFlight === pending) this.inFlight = null;
    });
    this.inFlight = pending;
    return pending;
  }

  private async obtain(): Promise<string> {
    const startedAt = this.now();
    const answer = await this.exchange(this.refreshToken);
    const lifetimeMs = answer.expiresIn * 1000;
    this.current = { token: answer.accessToken, refreshAtMs: startedAt + lifetimeMs - refreshMarginMs(lifetimeMs) };
    const rotated = answer.refreshToken !== undefined && answer.refreshToken !== this.refreshToken;
    if (answer.refreshToken !== undefined) this.refreshToken = answer.refreshToken;
    this.logger.info({ expiresInS: answer.expiresIn, refreshTokenRotated: rotated }, 'hubspot access token obtained');
    return answer.accessToken;
  }
}

export class HubSpotClient {
  private readonly objectsBasic;
  private readonly objectsBatch;
  private readonly objectsSearch;
  private readonly associationsBatch;
  private readonly pipelines;
  private readonly owners;
  private readonly properties;
  private readonly propertyGroups;
  private readonly tokens;
  private readonly connectionId: string;
  private readonly auth: TokenSource;

  constructor(private readonly options: HubSpotClientOptions) {
    // numberOfApiCallRetries 0 and no limiterOptions: the SDK adds neither its RetryDecorator nor its
    // Bottleneck limiter. Decorators are process-wide (ApiDecoratorService is a singleton, the last
    // Client constructed wins) and are bound when an API object is built, so every API object is
    // built here, right after our Client reset the decorators to none. The bearer token is set per
    // call by ResponseObserver (it changes under OAuth), so the SDK is given none.
    const sdk = new Client({
      basePath: options.baseUrl.replace(/\/+$/, ''),
      numberOfApiCallRetries: 0,
    });
    this.objectsBasic = sdk.crm.objects.basicApi;
    this.objectsBatch = sdk.crm.objects.batchApi;
    this.objectsSearch = sdk.crm.objects.searchApi;
    this.associationsBatch = sdk.crm.associations.v4.batchApi;
    this.pipelines = sdk.crm.pipelines.pipelinesApi;
    this.owners = sdk.crm.owners.ownersApi;
    this.properties = sdk.crm.properties.coreApi;
    this.propertyGroups = sdk.crm.properties.groupsApi;
    this.tokens = sdk.oauth.tokensApi;

    const { id, accessToken, auth } = options.connection;
    this.connectionId = id;
    if (auth?.type === 'oauth') {
      this.auth = new OAuthSession(
        auth,
        (refreshToken) => this.exchangeRefreshToken(auth, refreshToken),
        options.now ?? Date.now,
        options.logger,
      );
    } else if (accessToken !== undefined) {
      this.auth = new PrivateAppToken(accessToken);
    } else {
      // The config schema requires one of the two; this guards settings built without it.
      throw new CrmError('CRM.MISCONFIGURED', `HubSpot connection "${id}" has no credentials: set accessToken or auth`, {
        provider: 'hubspot',
      });
    }
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType */
  listObjects(
    type: HubSpotObjectType,
    query: {
      limit: number;
      after?: string | undefined;
      properties: string[];
      propertiesWithHistory?: string[];
      associations?: string[];
      archived?: boolean;
    },
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    return this.send(`GET /crm/v3/objects/${type}`, { signal }, (o) =>
      this.objectsBasic.getPageWithHttpInfo(
        type,
        query.limit,
        query.after,
        query.properties,
        query.propertiesWithHistory && query.propertiesWithHistory.length > 0 ? query.propertiesWithHistory : undefined,
        query.associations && query.associations.length > 0 ? query.associations : undefined,
        query.archived ?? false,
        o,
      ),
    );
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-objects-v3/search/post-crm-v3-objects-objectType-search */
  search(type: HubSpotObjectType, request: SearchRequest, signal?: AbortSignal): Promise<RawResponse> {
    // The SDK types `sorts` as string[]; the API takes {propertyName, direction} objects, which the
    // SDK's serializer passes through unchanged.
    const body = { ...request, sorts: request.sorts as unknown as string[] };
    return this.send(`POST /crm/v3/objects/${type}/search`, { signal, bucket: 'search' }, (o) =>
      this.objectsSearch.doSearchWithHttpInfo(type, body as Parameters<typeof this.objectsSearch.doSearchWithHttpInfo>[1], o),
    );
  }

  /**
   * https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-read
   * (max 100 inputs; 50 with `propertiesWithHistory`, see HISTORY_BATCH_LIMIT in connector.ts)
   */
  batchRead(
    type: HubSpotObjectType,
    ids: string[],
    properties: string[],
    signal?: AbortSignal,
    propertiesWithHistory: string[] = [],
  ): Promise<RawResponse> {
    return this.send(`POST /crm/v3/objects/${type}/batch/read`, { signal }, (o) =>
      this.objectsBatch.readWithHttpInfo(type, { inputs: ids.map((id) => ({ id })), properties, propertiesWithHistory }, false, o),
    );
  }

  /**
   * Max 100 inputs; 207 on partial failure.
   * https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-update
   */
  batchUpdate(
    type: HubSpotObjectType,
    inputs: { id: string; properties: Record<string, string> }[],
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    return this.send(`POST /crm/v3/objects/${type}/batch/update`, { signal }, (o) =>
      this.objectsBatch.updateWithHttpInfo(type, { inputs }, o),
    );
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-create (max 100 inputs) */
  batchCreate(type: HubSpotObjectType, inputs: BatchCreateInput[], signal?: AbortSignal): Promise<RawResponse> {
    return this.send(`POST /crm/v3/objects/${type}/batch/create`, { signal, idempotent: false }, (o) =>
      this.objectsBatch.createWithHttpInfo(
        type,
        { inputs: inputs as Parameters<typeof this.objectsBatch.createWithHttpInfo>[1]['inputs'] },
        o,
      ),
    );
  }

  /**
   * POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read, max 1,000 inputs.
   * https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations
   */
  readAssociations(
    from: HubSpotObjectType,
    to: HubSpotObjectType,
    inputs: { id: string; after?: string }[],
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    return this.send(`POST /crm/v4/associations/${from}/${to}/batch/read`, { signal }, (o) =>
      this.associationsBatch.getPageWithHttpInfo(from, to, { inputs }, o),
    );
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-pipelines-v3/pipelines/get-crm-v3-pipelines-objectType */
  getPipelines(signal?: AbortSignal): Promise<RawResponse> {
    return this.send('GET /crm/v3/pipelines/deals', { signal }, (o) => this.pipelines.getAllWithHttpInfo('deals', o));
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide (GET /crm/v3/owners, max 500 per page) */
  getOwners(query: { after?: string | undefined; archived: boolean }, signal?: AbortSignal): Promise<RawResponse> {
    return this.send('GET /crm/v3/owners', { signal }, (o) =>
      this.owners.getPageWithHttpInfo(undefined, query.after, 500, query.archived, o),
    );
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-properties-v3/core/get-crm-v3-properties-objectType */
  getProperties(type: HubSpotObjectType, signal?: AbortSignal): Promise<RawResponse> {
    return this.send(`GET /crm/v3/properties/${type}`, { signal }, (o) => this.properties.getAllWithHttpInfo(type, false, undefined, o));
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-properties-v3/core/post-crm-v3-properties-objectType */
  createProperty(
    type: HubSpotObjectType,
    property: {
      name: string;
      label: string;
      type: 'number' | 'string' | 'enumeration';
      fieldType: 'number' | 'text' | 'checkbox';
      groupName: string;
      description: string;
      options?: { label: string; value: string; displayOrder: number }[];
    },
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    return this.send(`POST /crm/v3/properties/${type}`, { signal, idempotent: false }, (o) =>
      this.properties.createWithHttpInfo(type, property as Parameters<typeof this.properties.createWithHttpInfo>[1], o),
    );
  }

  /** https://developers.hubspot.com/docs/api-reference/crm-properties-v3/groups/post-crm-v3-properties-objectType-groups */
  createPropertyGroup(
    type: HubSpotObjectType,
    group: { name: string; label: string; displayOrder: number },
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    return this.send(`POST /crm/v3/properties/${type}/groups`, { signal, idempotent: false }, (o) =>
      this.propertyGroups.createWithHttpInfo(type, group, o),
    );
  }

  private async send(
    endpoint: string,
    call: CallOptions,
    request: (options: ResponseObserver['options']) => Promise<{ httpStatusCode: number; data: unknown }>,
  ): Promise<RawResponse> {
    const { retry, logger } = this.options;
    const idempotent = call.idempotent ?? true;
    // One refresh per call, across its retries: a 401 on a token newer than the refused one means
    // the grant itself is bad, and asking again would only repeat the failure.
    let refreshed = false;
    // Failures to get a token happen before the request is sent: always safe to retry, creates included.
    const beforeSending = new WeakSet<CrmError>();
    const unsent = (error: unknown): never => {
      if (error instanceof CrmError) beforeSending.add(error);
      throw error;
    };
    return withRetry(
      async () => {
        call.signal?.throwIfAborted();
        for (;;) {
          const token = await this.auth.token().catch(unsent);
          try {
            return await this.once(endpoint, call, token, request);
          } catch (error) {
            if (!(error instanceof CrmError) || error.status !== 401 || !this.auth.refreshable) throw error;
            if (refreshed) {
              throw new CrmError(
                'CRM.AUTH',
                `HubSpot rejected the access token of connection "${this.connectionId}" ` +
                  `again right after a refresh (401 on ${endpoint}); ` +
                  'reinstall the app and set auth.refreshToken to the new refresh token',
                { provider: 'hubspot', status: 401, cause: error },
              );
            }
            refreshed = true;
            logger.info({ endpoint }, 'hubspot access token refused (401); refreshing it once');
            await this.auth.refresh(token).catch(unsent);
          }
        }
      },
      retry,
      {
        signal: call.signal,
        shouldRetry: (error) => idempotent || beforeSending.has(error) || error.status === 429 || error.status === 423,
        onRetry: (error, attempt) =>
          logger.warn(
            { endpoint, code: error.code, status: error.status, attempt, retryAfterMs: error.retryAfterMs },
            'hubspot call failed; retrying',
          ),
      },
    );
  }

  /** One HTTP call with `token`: a rate-gate permit, the call counted, failures classified. */
  private async once(
    endpoint: string,
    call: CallOptions,
    token: string,
    request: (options: ResponseObserver['options']) => Promise<{ httpStatusCode: number; data: unknown }>,
  ): Promise<RawResponse> {
    const { rateGate, usage } = this.options;
    call.signal?.throwIfAborted();
    await rateGate.take(call.bucket ?? 'default', call.signal);
    const observer = new ResponseObserver(token);
    usage.recordCall(endpoint);
    try {
      const info = await request(observer.options);
      return { status: info.httpStatusCode, body: info.data };
    } catch (error) {
      throw classifyError(error, observer, endpoint, { connectionId: this.connectionId, oauth: this.auth.refreshable });
    } finally {
      recordQuota(usage, observer.headers);
      usage.recordAnswer(endpoint, observer.status);
      if (observer.status === 429) usage.recordRateLimited();
    }
  }

  /**
   * https://developers.hubspot.com/docs/api-reference/auth-oauth-v1/tokens/post-oauth-v1-token
   * (form-encoded grant_type=refresh_token; answers access_token, refresh_token, expires_in in s).
   * Not behind the rate gate (it is no CRM call) but counted. A 4xx is CRM.AUTH; 429/5xx/network
   * failures are classified like any call, so the caller's `withRetry` repeats the refresh.
   */
  private async exchangeRefreshToken(auth: HubSpotOAuth, refreshToken: string): Promise<z.infer<typeof TokenAnswer>> {
    const endpoint = 'POST /oauth/v1/token';
    const observer = new ResponseObserver(null, true);
    this.options.usage.recordCall(endpoint);
    let data: unknown;
    try {
      const info = await this.tokens.createWithHttpInfo(
        'refresh_token',
        undefined,
        undefined,
        auth.clientId,
        auth.clientSecret,
        refreshToken,
        observer.options,
      );
      data = info.data;
    } catch (error) {
      const status = typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : observer.status;
      if (status !== null && status >= 400 && status < 500 && status !== 429) {
        const code = observer.errorCode === null ? '' : ` ${observer.errorCode}`;
        throw new CrmError(
          'CRM.AUTH',
          `HubSpot refused to refresh the access token of connection "${this.connectionId}" (${status}${code}): ` +
            'the refresh token is revoked or wrong, or auth.clientId/auth.clientSecret do not belong to the app; ' +
            'reinstall the app and set auth.refreshToken',
          { provider: 'hubspot', status, cause: error },
        );
      }
      throw classifyError(error, observer, endpoint, { connectionId: this.connectionId, oauth: true });
    } finally {
      recordQuota(this.options.usage, observer.headers);
      this.options.usage.recordAnswer(endpoint, observer.status);
      if (observer.status === 429) this.options.usage.recordRateLimited();
    }
    const parsed = TokenAnswer.safeParse(data);
    if (!parsed.success) {
      throw new CrmError(
        'CRM.AUTH',
        `HubSpot answered the token refresh of connection "${this.connectionId}" without a usable access token`,
        { provider: 'hubspot', status: observer.status },
      );
    }
    return parsed.data;
  }
}

function recordQuota(usage: UsageCounter, headers: Record<string, string>): void {
  const daily = Number(header(headers, 'x-hubspot-ratelimit-daily'));
  const remaining = Number(header(headers, 'x-hubspot-ratelimit-daily-remaining'));
  if (Number.isFinite(remaining) && header(headers, 'x-hubspot-ratelimit-daily-remaining') !== undefined) {
    const limit = Number.isFinite(daily) && header(headers, 'x-hubspot-ratelimit-daily') !== undefined ? daily : null;
    usage.recordQuota({ remaining, limit, used: limit === null ? null : limit - remaining });
  }
}

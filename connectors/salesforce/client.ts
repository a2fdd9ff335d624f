/**
 * The only file that imports jsforce. It builds one jsforce Connection per dealwatch connection and
 * routes every HTTP request through a gated transport that:
 * - takes a permit from the shared RateGate before each request (nextRecordsUrl, Bulk polls included);
 * - counts calls by endpoint (usage) and keeps Sforce-Limit-Info (jsforce's conn.limitInfo);
 * - switches jsforce's own fetch retries off and classifies 429 / 5xx / REQUEST_LIMIT_EXCEEDED /
 *   network resets into CrmErrors, so that connectors/shared/retry.ts (p-retry) is the single retry layer;
 * - lets 401 through to jsforce, which refreshes through our refreshFn (serialized per Connection by
 *   jsforce's SessionRefreshDelegate, and per connection here) and replays the request once; a second
 *   401 right after a refresh fails as CRM.AUTH (jsforce alone would refresh and replay forever).
 * `_transport` is a public field of jsforce's Connection; replacing it is the one seam every request
 * (REST, queryMore, Bulk API 2.0) passes through.
 */
import { Connection } from 'jsforce';
import { Transport } from 'jsforce/lib/transport.js';
import { QueryJobV2 } from 'jsforce/lib/api/bulk2.js';
import { StreamPromise } from 'jsforce/lib/util/promise.js';
import { createLazyStream } from 'jsforce/lib/util/stream.js';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types/common.js';
import type { ApiUsage, SalesforceConnection } from '../../src/domain/model/index.js';
import { CrmError } from '../../src/domain/errors.js';
import type { ApiCallListener, RateGate } from '../types.js';
import { classifyNetworkError, classifyResponse, classifyTokenError, toCrmError } from './errors.js';
import { buildJwtAssertion, jwtAudience, JWT_BEARER_GRANT } from './jwt.js';
import { defaultRetryPolicy, withRetry, type RetryPolicy } from '../shared/retry.js';
import { UsageCounter } from '../shared/usage.js';

/** jsforce retries GET/PUT/DELETE 5 times on 429/5xx itself, ignoring Retry-After: off, shared/retry.ts decides. */
const NO_JSFORCE_RETRY: NonNullable<HttpRequestOptions['retry']> = { maxRetries: 0, methods: [], statusCodes: [], errorCodes: [] };

export interface ClientOptions {
  rateGate: RateGate;
  retryPolicy?: RetryPolicy;
  /** Bulk API 2.0 job polling. @defaultValue 1000 ms interval, 10 min timeout */
  bulkPoll?: { intervalMs: number; timeoutMs: number };
  now?: () => number;
  /** Hears every HTTP call's outcome (metrics). */
  onApiCall?: ApiCallListener;
}

/** Token requests in flight, by connection (see requestToken). */
const tokenRequests = new Map<string, Promise<TokenResponse>>();

interface TokenResponse {
  access_token: string;
  instance_url?: string;
  id?: string;
}

/** `/services/data/v62.0/query/01gD0000002HU6KIAW-2000` -> `query/:id`; ids and versions collapse. */
export function endpointOf(url: string): string {
  const path = new URL(url, 'http://x').pathname.replace(/^\/services\/data\/v\d+\.\d\//, '').replace(/^\/services\//, '');
  return path
    .split('/')
    .map((seg) => (/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?(-\d+)?$/.test(seg) && /\d/.test(seg) ? ':id' : seg))
    .join('/');
}

class GatedTransport extends Transport {
  constructor(
    private readonly before: (req: HttpRequest) => Promise<void>,
    private readonly after: (req: HttpRequest, res: HttpResponse) => void,
    private readonly unanswered: (req: HttpRequest) => void = () => undefined,
  ) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> {
    return StreamPromise.create(() => {
      const { stream, setStream } = createLazyStream();
      const promise = (async () => {
        await this.before(req);
        const inner = super.httpRequest(req, { ...options, retry: NO_JSFORCE_RETRY });
        setStream(inner.stream());
        let res: HttpResponse;
        try {
          res = await inner;
        } catch (err) {
          this.unanswered(req);
          throw classifyNetworkError(err);
        }
        this.after(req, res);
        return res;
      })();
      return { stream, promise };
    });
  }
}

/** Thin, typed access to Salesforce through jsforce; every method is rate-gated, counted and retried. */
export class SalesforceClient {
  private readonly conn: Connection;
  private readonly meter: UsageCounter;
  private readonly policy: RetryPolicy;
  private readonly now: () => number;
  private readonly bulkPoll: { intervalMs: number; timeoutMs: number };
  /** Set by a refresh, cleared by any non-401 answer: a 401 while set means the new token is refused too. */
  private refreshedWithoutSuccess = false;
  private session: Promise<void> | null = null;
  /** The integration user's id, once known (token response or userinfo). */
  private userId: string | null = null;
  /** Response headers by request headers object, for the few calls that need them (Sforce-Locator). */
  private readonly responseHeaders = new WeakMap<object, Record<string, string>>();
  /** Why the last refresh failed: jsforce rethrows it as a plain 'Unable to refresh session' Error. */
  private refreshError: CrmError | null = null;

  constructor(
    private readonly settings: SalesforceConnection,
    options: ClientOptions,
  ) {
    this.meter = new UsageCounter(options.onApiCall);
    this.policy = options.retryPolicy ?? defaultRetryPolicy;
    this.now = options.now ?? Date.now;
    this.bulkPoll = options.bulkPoll ?? { intervalMs: 1000, timeoutMs: 600_000 };
    const auth = settings.auth;
    const oauth2 =
      auth.type === 'refreshToken' || auth.type === 'clientCredentials'
        ? { loginUrl: settings.loginUrl, clientId: auth.clientId, ...(auth.clientSecret ? { clientSecret: auth.clientSecret } : {}) }
        : { loginUrl: settings.loginUrl };
    // https://jsforce.github.io/document/#connection ; version defaults to '50.0' in jsforce, so always set.
    this.conn = new Connection({
      version: settings.apiVersion,
      loginUrl: settings.loginUrl,
      ...(settings.instanceUrl ? { instanceUrl: settings.instanceUrl } : {}),
      ...(auth.type === 'accessToken' ? { accessToken: auth.accessToken } : {}),
      oauth2,
      ...(auth.type === 'accessToken' ? {} : { refreshFn: (conn, callback) => this.refresh(conn, callback) }),
    });
    const transport = new GatedTransport(
      async (req) => {
        await options.rateGate.take('default');
        this.meter.recordCall(`${req.method} ${endpointOf(req.url)}`);
      },
      (req, res) => {
        this.meter.recordAnswer(`${req.method} ${endpointOf(req.url)}`, res.statusCode);
        if (req.headers) this.responseHeaders.set(req.headers, res.headers);
        if (res.statusCode !== 401) this.refreshedWithoutSuccess = false;
        const err = classifyResponse(res.statusCode, res.headers, res.body ?? '', this.now());
        if (err?.code === 'CRM.RATE_LIMITED' || err?.code === 'CRM.QUOTA_EXCEEDED') this.meter.recordRateLimited();
        if (err) throw err;
      },
      (req) => this.meter.recordAnswer(`${req.method} ${endpointOf(req.url)}`, null),
    );
    this.conn._transport = transport;
  }

  /** Obtains a token for the server-to-server flows (jsforce's SessionRefreshFunc). */
  private refresh(conn: Connection, callback: (err: Error | null | undefined, token?: string, res?: never) => void): void {
    if (this.refreshedWithoutSuccess) {
      this.refreshError = new CrmError(
        'CRM.AUTH',
        'Salesforce refused the refreshed access token too (second 401); re-authorize the connection',
        {
          provider: 'salesforce',
          status: 401,
        },
      );
      callback(this.refreshError);
      return;
    }
    this.refreshedWithoutSuccess = true;
    this.refreshError = null;
    this.requestToken(conn).then(
      (res) => {
        if (res.instance_url) conn.instanceUrl = res.instance_url;
        callback(undefined, res.access_token);
      },
      (err: unknown) => {
        // A failed refresh may be retried by the next 401 (the token endpoint was down, not the grant).
        this.refreshedWithoutSuccess = false;
        this.refreshError = classifyTokenError(err);
        callback(this.refreshError);
      },
    );
  }

  /**
   * One token request at a time per connection in this process: jsforce serializes refreshes per
   * Connection object, and several connectors of one connection (workers in one process) share this.
   */
  private requestToken(conn: Connection): Promise<TokenResponse> {
    const key = `${this.settings.loginUrl}|${this.settings.id}`;
    let pending = tokenRequests.get(key);
    if (!pending) {
      pending = this.fetchToken(conn).finally(() => tokenRequests.delete(key));
      tokenRequests.set(key, pending);
    }
    return pending.then((res) => {
      // The identity URL ends with the user id: https://login.salesforce.com/id/<org id>/<user id>
      const userId = typeof res.id === 'string' ? /\/id\/[^/]+\/([^/?#]+)/.exec(res.id)?.[1] : undefined;
      if (userId) this.userId = userId;
      return res;
    });
  }

  /**
   * The id of the user the connection acts as (the integration user): from the identity URL of the
   * token response, else one `GET /services/oauth2/userinfo` (`user_id`), once per client.
   * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_userinfo_endpoint.htm
   */
  async ownUserId(signal?: AbortSignal): Promise<string> {
    if (this.userId) return this.userId;
    await this.ensureSession();
    if (this.userId) return this.userId;
    const info = await this.get<{ user_id?: unknown }>('/services/oauth2/userinfo', undefined, signal);
    if (typeof info.user_id !== 'string' || info.user_id === '') {
      throw new CrmError('CRM.BAD_REQUEST', 'Salesforce userinfo answered without user_id', { provider: 'salesforce' });
    }
    this.userId = info.user_id;
    return this.userId;
  }

  private async fetchToken(conn: Connection): Promise<TokenResponse> {
    const auth = this.settings.auth;
    switch (auth.type) {
      case 'refreshToken':
        // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
        return (await conn.oauth2.refreshToken(auth.refreshToken)) as TokenResponse;
      case 'jwt': {
        // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
        const assertion = buildJwtAssertion({
          clientId: auth.clientId,
          username: auth.username,
          audience: jwtAudience(this.settings.loginUrl),
          privateKeyPem: auth.privateKey,
          nowMs: this.now(),
        });
        return (await conn.oauth2.requestToken({ grant_type: JWT_BEARER_GRANT, assertion })) as TokenResponse;
      }
      case 'clientCredentials':
        // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
        return (await conn.oauth2.requestToken({ grant_type: 'client_credentials' })) as TokenResponse;
      case 'accessToken':
        throw new CrmError('CRM.AUTH', 'the access token was rejected and this connection has no way to refresh it', {
          provider: 'salesforce',
          status: 401,
        });
    }
  }

  /** First call of a token-less connection: get a token up front instead of paying for a 401. */
  private ensureSession(): Promise<void> {
    if (this.conn.accessToken) {
      if (this.conn.instanceUrl) return Promise.resolve();
      return Promise.reject(
        new CrmError('CRM.MISCONFIGURED', 'instanceUrl is required with an accessToken (e.g. https://acme.my.salesforce.com)', {
          provider: 'salesforce',
        }),
      );
    }
    this.session ??= this.requestToken(this.conn).then(
      (res) => {
        if (res.instance_url) this.conn.instanceUrl = res.instance_url;
        this.conn.accessToken = res.access_token;
      },
      (err: unknown) => {
        this.session = null;
        throw classifyTokenError(err);
      },
    );
    return this.session;
  }

  /** `/services/data/vXX.X` + suffix. */
  dataPath(suffix: string): string {
    return `/services/data/v${this.settings.apiVersion}${suffix}`;
  }

  /** GET a REST resource (path from the instance root or absolute), retried. */
  get<T>(path: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<T> {
    return this.call(
      () => this.conn.request<T>({ method: 'GET', url: path, ...(headers ? { headers: { ...headers } } : {}) }),
      signal,
      false,
    );
  }

  /**
   * POST/PATCH a JSON body. `idempotent: false` (creates) retries only 429s: a create that met a 5xx
   * or a reset may have been applied, and the writeback job checks findWarnings before writing again.
   */
  send<T>(
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
    options: { idempotent: boolean; signal?: AbortSignal | undefined },
  ): Promise<T> {
    return this.call(
      () => this.conn.request<T>({ method, url: path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      options.signal,
      !options.idempotent,
    );
  }

  /**
   * Bulk API 2.0 query: jsforce's QueryJobV2 creates and polls the job; result pages are read here
   * with `maxRecords` and the Sforce-Locator header, one CSV page at a time, so memory holds one page.
   * (jsforce's `bulk2.query()` downloads every page before resolving and pipes all pages, header rows
   * included, into one CSV parser.)
   * https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_create_job.htm
   * https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_get_job_results.htm
   */
  async *bulkQuery(
    soql: string,
    options: { scanAll: boolean; maxRecords: number; signal?: AbortSignal | undefined },
  ): AsyncIterable<Record<string, string>[]> {
    const job = new QueryJobV2(this.conn, {
      bodyParams: { query: soql, operation: options.scanAll ? 'queryAll' : 'query' },
      pollingOptions: { pollInterval: this.bulkPoll.intervalMs, pollTimeout: this.bulkPoll.timeoutMs },
    });
    await this.call(() => job.open(), options.signal, true);
    await this.call(() => job.poll(this.bulkPoll.intervalMs, this.bulkPoll.timeoutMs), options.signal, false);
    let locator: string | null = null;
    do {
      // The headers object identifies this request to the transport, which keeps its response headers.
      const headers: Record<string, string> = { Accept: 'text/csv' };
      const query = `maxRecords=${options.maxRecords}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
      const rows = await this.call(
        () =>
          this.conn.request<Record<string, string>[] | string>({
            method: 'GET',
            url: this.dataPath(`/jobs/query/${job.id}/results?${query}`),
            headers,
          }),
        options.signal,
        false,
      );
      const next = this.responseHeaders.get(headers)?.['sforce-locator'];
      locator = next && next !== 'null' ? next : null;
      // An empty result is an empty body (or a header line only), which jsforce leaves as text.
      if (Array.isArray(rows) && rows.length > 0) yield rows;
    } while (locator);
  }

  private async call<T>(fn: () => PromiseLike<T>, signal: AbortSignal | undefined, onlyRateLimited: boolean): Promise<T> {
    signal?.throwIfAborted();
    try {
      // Getting a token sends nothing to the API, so it is retried whatever the call is.
      await withRetry(() => this.ensureSession(), this.policy, { signal });
      return await withRetry(
        async () => {
          try {
            return await fn();
          } catch (err) {
            throw this.classify(err);
          }
        },
        this.policy,
        // A create that met a 5xx or a reset may have been applied: only 429s (never processed) are retried.
        { signal, ...(onlyRateLimited ? { shouldRetry: (e: CrmError) => e.code === 'CRM.RATE_LIMITED' } : {}) },
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.classify(err);
    }
  }

  private classify(err: unknown): CrmError {
    const refreshFailed = err instanceof Error && err.message.startsWith('Unable to refresh session');
    return refreshFailed && this.refreshError ? this.refreshError : toCrmError(err);
  }

  /** Calls counted by the transport; quota from Sforce-Limit-Info as jsforce parsed it (conn.limitInfo). */
  usage(): ApiUsage {
    const api = this.conn.limitInfo?.apiUsage;
    if (api) this.meter.recordQuota({ used: api.used, limit: api.limit, remaining: api.limit - api.used });
    return this.meter.snapshot();
  }

  resetUsage(): void {
    this.meter.reset();
  }
}

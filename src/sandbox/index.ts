/**
 * The sandbox CRM: one fastify server, one port. Salesforce is served at the origin (its paths
 * start at /services, so `instanceUrl` = `loginUrl` = origin, and the absolute `nextRecordsUrl`s
 * and jsforce's `new URL(path, instanceUrl)` resolve exactly as against Salesforce); HubSpot under
 * `/hubspot` (its SDK concatenates `basePath` + path); the admin surface under `/__sandbox`.
 */
import type { Log } from '../logger.js';
import fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { AddressInfo } from 'node:net';
import { BookStore } from './book-store.js';
import { CallLog } from './call-log.js';
import { SandboxClock } from './clock.js';
import { sandboxSecrets } from './credentials.js';
import type { DeliveryAttempt, RetryPolicy } from './delivery.js';
import { FaultInjector, parseFaultSpec, type FaultRule } from './faults.js';
import type { ActivityKind } from './generator/book.js';
import { generateBook } from './generator/generate.js';
import { HubSpotContext, type HubSpotOAuthOptions } from './hubspot/context.js';
import { HubSpotRateLimiter, type HubSpotRateLimitOptions } from './hubspot/rate-limit.js';
import { hubspotRoutes } from './hubspot/routes.js';
import { HubSpotWebhookEmitter } from './hubspot/webhooks.js';
import { adminRoutes } from './admin/routes.js';
import { SalesforceContext, type SalesforceLimitsOptions } from './salesforce/context.js';
import { registerOAuthRoutes } from './salesforce/oauth.js';
import { OutboundMessageEmitter } from './salesforce/outbound.js';
import { salesforceRoutes } from './salesforce/routes.js';
import { startSalesFloor } from './sales-floor.js';
import { registerTrafficHooks } from './traffic-hooks.js';
import type { Sandbox, SandboxAdmin } from './sandbox-types.js';

export type { Sandbox, SandboxHubSpotInfo, SandboxSalesforceInfo, SandboxPlanted, SandboxState } from './sandbox-types.js';
export type { PlantedProblem, RepHabit, Book, Planted } from './generator/book.js';
export type { FaultRule, FaultKind } from './faults.js';
export { parseFaultSpec } from './faults.js';
export { generateBook } from './generator/generate.js';

export interface SandboxOptions {
  /** 0 = a free port. @defaultValue 0 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 1 */
  seed?: number;
  /** Deals per provider. @defaultValue 500 */
  deals?: number;
  /** HubSpot rate limits on. @defaultValue true */
  rateLimit?: boolean;
  hubspotRateLimits?: HubSpotRateLimitOptions;
  /** HubSpot OAuth (public app): lifetime of the access tokens `POST /hubspot/oauth/v1/token` issues. */
  hubspotOAuth?: HubSpotOAuthOptions;
  /** Latency added to every API response. @defaultValue 0 */
  latencyMs?: number;
  /** Where HubSpot webhooks are POSTed (none when unset). */
  webhookUrl?: string;
  /** Where Salesforce outbound messages are POSTed (none when unset). */
  outboundMessageUrl?: string;
  /**
   * When an outbound message fires: on stage changes (a flow on StageName), or on every save
   * (API writes included). @defaultValue 'stage_change'
   */
  outboundMessageOn?: 'stage_change' | 'every_edit';
  /**
   * HubSpot webhook subscriptions: the payload format (`legacy` deal.*, or `generic` object.* with
   * objectTypeId 0-3) and the deal properties subscribed to propertyChange. @defaultValue { format: 'legacy', properties: ['dealstage'] }
   */
  hubspotWebhooks?: { format?: 'legacy' | 'generic'; properties?: string[] };
  /** Retry policy of webhooks and outbound messages. */
  deliveryRetry?: RetryPolicy;
  /** How long events are collected into one webhook batch. @defaultValue 100 */
  deliveryBatchDelayMs?: number;
  /** The book is generated relative to this time, and the sandbox clock starts here. @defaultValue now */
  now?: Date;
  /** Fault rules, or the CLI's spec text (`429:0.1@hubspot,drop:0.01`). */
  faults?: FaultRule[] | string;
  salesforce?: SalesforceLimitsOptions & {
    /** @defaultValue '59.0' */
    apiVersion?: string;
  };
  /** HubSpot custom deal properties present from the start (e.g. dealwatch_score). @defaultValue [] */
  hubspotCustomProperties?: string[];
  /**
   * Scopes granted to the HubSpot app. Without `crm.schemas.deals.write`, creating deal properties
   * or property groups answers 403 MISSING_SCOPES. @defaultValue every scope
   */
  hubspotScopes?: string[];
  /**
   * Salesforce Opportunity custom fields absent from the org (an update naming one fails the record
   * with INVALID_FIELD), or present but read-only for the integration user (INVALID_FIELD_FOR_INSERT_UPDATE,
   * describe `updateable: false`). E.g. `{ missing: ['Dealwatch_Flags__c'], readOnly: ['Dealwatch_Score__c'] }`.
   */
  salesforceFields?: { missing?: string[]; readOnly?: string[] };
  /** Background "sales floor": moves a random open deal forward every `intervalMs`. */
  salesFloor?: { intervalMs: number };
  logger?: Log;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? 1;
  const dealCount = options.deals ?? 500;
  const start = options.now ?? new Date();
  const clock = new SandboxClock(start);
  const secrets = sandboxSecrets(seed);
  const log = new CallLog();
  const deliveries: DeliveryAttempt[] = [];
  const apiVersion = options.salesforce?.apiVersion ?? '59.0';

  const hubspotStore = new BookStore(generateBook({ provider: 'hubspot', seed, deals: dealCount, now: start }), clock);
  const salesforceStore = new BookStore(generateBook({ provider: 'salesforce', seed, deals: dealCount, now: start }), clock);

  let origin = '';
  const hubspotCtx = new HubSpotContext(
    hubspotStore,
    log,
    {
      accessToken: secrets.hubspotAccessToken,
      webhookSecret: secrets.hubspotClientSecret,
      portalId: secrets.portalId,
      appId: secrets.appId,
      clientId: secrets.hubspotClientId,
      refreshToken: secrets.hubspotRefreshToken,
    },
    options.hubspotOAuth ?? {},
  );
  if (options.hubspotScopes) hubspotCtx.grantedScopes = new Set(options.hubspotScopes);
  for (const name of options.hubspotCustomProperties ?? []) {
    hubspotCtx.addCustomDealProperty({
      ...hubspotCtx.dealProperties.get('hs_next_step')!,
      name,
      label: name,
      groupName: 'dealinformation',
      calculated: false,
      modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
    });
  }
  const salesforceCtx = new SalesforceContext(
    salesforceStore,
    log,
    {
      clientId: secrets.clientId,
      clientSecret: secrets.clientSecret,
      refreshToken: secrets.refreshToken,
      username: secrets.username,
      organizationId: secrets.organizationId,
      jwtPublicKeyPem: secrets.publicKeyPem,
      acceptedAudiences: ['https://login.salesforce.com', 'https://test.salesforce.com'],
    },
    options.salesforce ?? {},
  );
  for (const f of options.salesforceFields?.missing ?? []) salesforceCtx.opportunityCustomFields.delete(f);
  for (const f of options.salesforceFields?.readOnly ?? []) salesforceCtx.readOnlyOpportunityFields.add(f);
  salesforceCtx.issueToken(secrets.salesforceAccessToken);

  const faults = new FaultInjector(seed);
  if (options.faults) faults.set(typeof options.faults === 'string' ? parseFaultSpec(options.faults) : options.faults);
  const limiter = new HubSpotRateLimiter(options.hubspotRateLimits ?? {}, options.rateLimit ?? true);

  const app: FastifyInstance = fastify({
    logger: false,
    bodyLimit: 50 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });
  await app.register(formbody);

  registerTrafficHooks(app, { faults, log, latencyMs: options.latencyMs ?? 0 });

  await app.register(async (hs) => hubspotRoutes(hs, { ctx: hubspotCtx, limiter, baseUrl: () => `${origin}/hubspot` }), {
    prefix: '/hubspot',
  });
  await app.register(async (oauth) => registerOAuthRoutes(oauth, salesforceCtx, { instanceUrl: () => origin, loginUrl: () => origin }));
  await app.register(salesforceRoutes(salesforceCtx));

  const record = (a: DeliveryAttempt) => deliveries.push(a);
  const retry = options.deliveryRetry ?? {};
  const batchDelayMs = options.deliveryBatchDelayMs ?? 100;
  const webhooks = options.webhookUrl
    ? new HubSpotWebhookEmitter(hubspotStore, hubspotCtx.credentials, options.webhookUrl, {
        retry,
        batchDelayMs,
        record,
        ...(options.hubspotWebhooks ?? {}),
      })
    : null;
  const outbound = options.outboundMessageUrl
    ? new OutboundMessageEmitter(salesforceStore, secrets.organizationId, () => origin, options.outboundMessageUrl, {
        retry,
        batchDelayMs,
        apiVersion,
        record,
        ...(options.outboundMessageOn ? { on: options.outboundMessageOn } : {}),
      })
    : null;

  const storeOf = (provider: 'hubspot' | 'salesforce') => (provider === 'hubspot' ? hubspotStore : salesforceStore);
  const dealIdxOf = (provider: 'hubspot' | 'salesforce', dealId: string) => {
    const idx = storeOf(provider).dealIndex(dealId);
    if (idx === undefined) throw new Error(`no ${provider} deal ${dealId}`);
    return idx;
  };

  const admin: SandboxAdmin = {
    state: {
      hubspot: hubspotStore.book,
      salesforce: salesforceStore.book,
      calls: log.calls,
      annotations: log.annotations,
      deliveries,
      counters: () => log.countersSnapshot(),
    },
    planted: { hubspot: hubspotStore.book.planted, salesforce: salesforceStore.book.planted },
    info: () => ({ hubspot: sandbox.hubspot, salesforce: publicSalesforce(), admin: sandbox.adminUrl }),
    now: () => clock.now(),
    setClock: (at) => clock.set(at),
    advance: (ms) => clock.advance(ms),
    changeStage(provider, dealId, stage) {
      const store = storeOf(provider);
      const idx = dealIdxOf(provider, dealId);
      const deal = store.book.deals[idx]!;
      const target = store.findStage(deal, stage);
      if (target < 0) throw new Error(`no stage ${stage} in the pipeline of deal ${dealId}`);
      store.updateDeal(idx, { stage: target });
    },
    addActivity(
      provider,
      dealId,
      input: { kind: ActivityKind; direction?: 'inbound' | 'outbound'; at?: Date; completed?: boolean; subject?: string },
    ) {
      const store = storeOf(provider);
      const idx = dealIdxOf(provider, dealId);
      const activity = store.addActivity(idx, {
        kind: input.kind,
        ...(input.at ? { at: input.at.getTime() } : {}),
        ...(input.direction ? { direction: input.direction } : {}),
        ...(input.completed !== undefined ? { completed: input.completed } : {}),
        ...(input.subject ? { subject: input.subject } : {}),
      });
      // Logging an activity touches the deal (HubSpot recalculates notes_last_updated).
      store.updateDeal(idx, {});
      return activity.id;
    },
    deleteDeal(provider, dealId) {
      storeOf(provider).deleteDeal(dealIdxOf(provider, dealId));
    },
    createDeal(provider, input) {
      const store = storeOf(provider);
      const owner = input.ownerId === undefined ? 0 : store.book.reps.findIndex((r) => r.id === input.ownerId);
      if (owner < 0) throw new Error(`no ${provider} owner ${String(input.ownerId)}`);
      const closeDate = input.closeDate ? Math.floor(input.closeDate.getTime() / 86_400_000) * 86_400_000 : null;
      return store.createDeal({ name: input.name, owner, account: 0, amount: input.amount ?? null, closeDate }).id;
    },
    injectFaults: (rules) => faults.set(rules),
    faults: () => faults.list(),
    resetLog: () => {
      log.clear();
      deliveries.length = 0;
    },
    expireSalesforceTokens: () => salesforceCtx.expireAllTokens(),
    expireHubSpotTokens: () => hubspotCtx.expireOAuthTokens(),
    setSalesforceCustomFields({ remove, add, object }) {
      const fields = object === 'Activity' ? salesforceCtx.activityCustomFields : salesforceCtx.opportunityCustomFields;
      for (const f of remove) fields.delete(f);
      for (const f of add) fields.add(f);
    },
    salesforceCustomFields: () => [...salesforceCtx.opportunityCustomFields],
    async drainDeliveries() {
      await Promise.all([webhooks?.drain(), outbound?.drain()]);
    },
  };

  await app.register(adminRoutes(admin), { prefix: '/__sandbox' });
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  origin = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  const floor = options.salesFloor ? startSalesFloor([hubspotStore, salesforceStore], seed, options.salesFloor.intervalMs) : null;

  const publicSalesforce = () => {
    const { privateKeyPem: _p, ...rest } = sandbox.salesforce;
    return rest;
  };
  const sandbox: Sandbox = {
    ...admin,
    hubspot: {
      baseUrl: `${origin}/hubspot`,
      accessToken: secrets.hubspotAccessToken,
      webhookSecret: secrets.hubspotClientSecret,
      portalId: secrets.portalId,
      appId: secrets.appId,
      clientId: secrets.hubspotClientId,
      clientSecret: secrets.hubspotClientSecret,
      refreshToken: secrets.hubspotRefreshToken,
    },
    salesforce: {
      instanceUrl: origin,
      loginUrl: origin,
      apiVersion,
      accessToken: secrets.salesforceAccessToken,
      clientId: secrets.clientId,
      clientSecret: secrets.clientSecret,
      refreshToken: secrets.refreshToken,
      organizationId: secrets.organizationId,
      username: secrets.username,
      privateKeyPem: secrets.privateKeyPem,
    },
    adminUrl: `${origin}/__sandbox`,
    async close() {
      floor?.stop();
      webhooks?.close();
      outbound?.close();
      await app.close();
    },
  };
  options.logger?.info(
    { hubspot: sandbox.hubspot.baseUrl, salesforce: origin, admin: sandbox.adminUrl, deals: dealCount, seed },
    'sandbox ready',
  );
  return sandbox;
}

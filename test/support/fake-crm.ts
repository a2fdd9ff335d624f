/**
 * A third provider that exists only in tests: an in-memory CRM behind the connector contract
 * (connectors/types.ts) and its descriptor. Registering `fakeCrmDescriptor` with `registerProvider`
 * is all it takes for the sync, scoring and write-back jobs to run it: the test of that is
 * test/integration/pipeline/third-provider.test.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  ConnectionBase,
  type Activity,
  type ConnectionSettings,
  type Deal,
  type Owner,
  type Provider,
  type Stage,
} from '../../src/domain/model/index.js';
import type {
  AnnotationBatch,
  AnnotationResult,
  CrmConnector,
  DealBundle,
  Page,
  ProviderDescriptor,
  WebhookEvent,
  WebhookRequest,
} from '../../connectors/types.js';

export const FAKE_PROVIDER = 'fakecrm' as Provider;

/** The fake provider's settings: the shared ones, an API key, and the secret its webhooks are signed with. */
export const FakeCrmConnection = ConnectionBase.extend({
  provider: z.literal(FAKE_PROVIDER),
  apiKey: z.string().min(1),
  webhookSecret: z.string().min(1),
});
export type FakeCrmConnection = z.infer<typeof FakeCrmConnection>;

/** One written warning record or field set, as the fake CRM keeps it. */
export interface FakeWrite {
  kind: 'field' | 'note';
  dealId: string;
  key?: string;
  text?: string;
}

/** The fake CRM's data: what the connector reads and where its writes land. */
export interface FakeCrmState {
  deals: Deal[];
  owners: Owner[];
  stages: Stage[];
  activities: Activity[];
  writes: FakeWrite[];
  /** The longer of the field and warning lists of every `annotate` call, in call order. */
  batches: number[];
}

const states = new Map<string, FakeCrmState>();

/** The CRM behind a connection id (made empty on first use). */
export function fakeCrmState(connectionId: string): FakeCrmState {
  let state = states.get(connectionId);
  if (!state) {
    state = { deals: [], owners: [], stages: [], activities: [], writes: [], batches: [] };
    states.set(connectionId, state);
  }
  return state;
}

/** The HMAC-SHA256 a delivery of the fake provider carries in `x-fake-signature` (hex). */
export function fakeSignature(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

class FakeCrmConnector implements CrmConnector {
  readonly provider = FAKE_PROVIDER;
  readonly connectionId: string;
  private calls = 0;
  private readonly state: FakeCrmState;

  constructor(settings: FakeCrmConnection) {
    this.connectionId = settings.id;
    this.state = fakeCrmState(settings.id);
  }

  private page<T extends { modifiedAt: string; externalId: string }>(records: T[]): Page<T> {
    this.calls += 1;
    const last = records.reduce<T | null>((max, r) => (max === null || r.modifiedAt > max.modifiedAt ? r : max), null);
    return { records, tombstones: [], cursor: last ? { stamp: last.modifiedAt, id: last.externalId } : null };
  }

  async *pullDeals(): AsyncIterable<Page<Deal>> {
    yield this.page(this.state.deals);
  }
  async *pullActivities(): AsyncIterable<Page<Activity>> {
    yield this.page(this.state.activities);
  }
  async *pullHistory() {
    this.calls += 1;
    yield { stageChanges: [], fieldChanges: [], cursor: null };
  }
  async pullOwners(): Promise<Owner[]> {
    this.calls += 1;
    return this.state.owners;
  }
  async pullStages(): Promise<Stage[]> {
    this.calls += 1;
    return this.state.stages;
  }
  async *listDealIds(): AsyncIterable<string[]> {
    this.calls += 1;
    yield this.state.deals.map((d) => d.externalId);
  }
  async fetchDeal(dealId: string): Promise<DealBundle> {
    this.calls += 1;
    const deal = this.state.deals.find((d) => d.externalId === dealId) ?? null;
    return { deal, activities: this.state.activities.filter((a) => a.dealIds.includes(dealId)), stageChanges: [], fieldChanges: [] };
  }
  async annotate(batch: AnnotationBatch): Promise<AnnotationResult> {
    this.calls += 1;
    this.state.batches.push(Math.max(batch.fields.length, batch.warnings.length));
    const fields = new Map(
      batch.fields.map((f) => {
        this.state.writes.push({ kind: 'field', dealId: f.dealId, text: `${f.score} ${f.flags.join(';')}` });
        return [f.dealId, { ok: true as const, externalId: null }];
      }),
    );
    const warnings = new Map(
      batch.warnings.map((w) => {
        this.state.writes.push({ kind: 'note', dealId: w.dealId, key: w.key, text: w.body });
        return [w.key, { ok: true as const, externalId: w.externalId ?? `note-${w.key}` }];
      }),
    );
    return { fields, warnings, warningKind: 'note' };
  }
  async findWarnings(keys: string[]): Promise<Map<string, string>> {
    this.calls += 1;
    const found = new Map<string, string>();
    for (const w of this.state.writes)
      if (w.kind === 'note' && w.key !== undefined && keys.includes(w.key)) found.set(w.key, `note-${w.key}`);
    return found;
  }
  async doctor() {
    return { ok: true, checks: [{ name: 'api key', ok: true, detail: 'accepted' }] };
  }
  usage() {
    return { calls: this.calls, byEndpoint: {}, rateLimited: 0, quota: null };
  }
  resetUsage() {
    this.calls = 0;
  }
}

/** The fake provider's descriptor: everything the rest of dealwatch reads about it. */
export const fakeCrmDescriptor: ProviderDescriptor<FakeCrmConnection> = {
  provider: FAKE_PROVIDER,
  label: 'Fake CRM',
  settings: FakeCrmConnection,
  rateLimits: { default: { requests: 1_000, perMs: 1_000 } },
  // Small on purpose: the test sees write-back cut its batches at this size.
  writebackBatchSize: 7,
  defaultWarningRecord: 'note',
  create: (settings) => new FakeCrmConnector(settings),
  webhookVerifier: (settings) => ({
    verify(request: WebhookRequest) {
      const given = request.headers['x-fake-signature'];
      if (typeof given !== 'string') return { ok: false, reason: 'missing_signature' };
      const expected = Buffer.from(fakeSignature(settings.webhookSecret, request.rawBody));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected) ? { ok: true } : { ok: false, reason: 'bad_signature' };
    },
    parse(request: WebhookRequest): WebhookEvent[] {
      const events = JSON.parse(request.rawBody.toString('utf8')) as { id: string; dealId: string; at: string }[];
      return events.map((e) => ({
        connectionId: settings.id,
        eventId: e.id,
        dealId: e.dealId,
        kind: 'changed',
        occurredAt: e.at,
        selfInflicted: false,
      }));
    },
  }),
  recordUrl: (settings, dealId) => `https://fakecrm.test/${settings.id}/deals/${encodeURIComponent(dealId)}`,
};

/** A connection of the fake provider; `overrides` replace any field. */
export function fakeCrmConnection(id: string, overrides: Record<string, unknown> = {}): ConnectionSettings {
  return FakeCrmConnection.parse({
    id,
    provider: FAKE_PROVIDER,
    apiKey: 'fake-key',
    webhookSecret: 'fake-secret',
    ...overrides,
  }) as unknown as ConnectionSettings;
}

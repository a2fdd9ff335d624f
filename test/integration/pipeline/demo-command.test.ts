/**
 * `dealwatch demo --json` from the command line, with neither DATABASE_URL nor REDIS_URL: the
 * embedded database and BullMQ's PostgreSQL backend. Every problem each sandbox CRM planted shows
 * up among that CRM's findings.
 */
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../../src/sandbox/index.js';
import { smtpReceiver } from '../digest/receivers.js';
import { runDealwatch } from './dealwatch-process.js';

function runDemo(env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.REDIS_URL;
  return runDealwatch(['demo', '--json'], childEnv);
}

describe('dealwatch demo --json', () => {
  it('syncs both sandbox CRMs on the embedded defaults, handles the webhooks and reports every problem each CRM planted', async () => {
    const deals = 150;
    const smtp = await smtpReceiver();
    const { code, stdout, stderr } = await runDemo({ DEALWATCH_DEMO_DEALS: String(deals), LOG_LEVEL: 'error', SMTP_URL: smtp.url }).finally(
      () => smtp.close(),
    );
    expect(code, stderr.slice(-2000)).toBe(0);
    // With SMTP_URL set the demo mails the HubSpot connection's digest there, once.
    expect(smtp.mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^Pipeline digest Sandbox HubSpot, /)]);
    expect(smtp.mails[0]!.html).toContain('/record/0-3/');
    expect(stderr).toContain('Digest mailed to manager@example.com');
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      backend: { database: string; queues: string };
      syncs: { connection: string; status: string; deals: number; annotations: { notes: number; tasks: number } }[];
      webhooks: { via: string; fired: { connection: string; toStage: string; stageNow: string | null }[]; handled: number };
      findingsByRule: Record<string, Record<string, number>>;
      reviews: { connection: string; review: { reps: unknown[] } }[];
      annotations: { crm: string; notes: number; tasks: number }[];
      exampleNotes: { text: string }[];
    };
    expect(result.backend).toEqual({ database: 'embedded', queues: 'postgres' });
    expect(result.syncs.map((s) => [s.connection, s.status, s.deals])).toEqual([
      ['hs', 'ok', deals],
      ['sf', 'ok', deals],
    ]);
    expect(result.webhooks.via).toBe('server');
    // Two stage changes per CRM went through the server's webhook endpoints and were handled.
    expect(result.webhooks.fired.map((f) => f.connection)).toEqual(['hs', 'hs', 'sf', 'sf']);
    expect(result.webhooks.handled).toBeGreaterThanOrEqual(result.webhooks.fired.length);
    for (const f of result.webhooks.fired) expect(f.stageNow).toBe(f.toStage);

    // The same seed and size give the same planted problems as the demo's sandbox.
    const reference = await startSandbox({ deals, seed: 1 });
    try {
      // Every problem type each CRM planted appears among that CRM's findings (the demo's
      // connections: hs = HubSpot, sf = Salesforce). The mixes differ: Salesforce plants no
      // missing_close_date (its CloseDate is required). HubSpot's close_date_pushed and
      // amount_decreased come from property history, which its connector reads.
      const missing: string[] = [];
      const checked = new Set<string>();
      for (const [connection, crm] of [
        ['hs', 'hubspot'],
        ['sf', 'salesforce'],
      ] as const) {
        const planted = new Set(Object.values(reference.planted[crm].deals).flat());
        const found = new Set(Object.keys(result.findingsByRule[connection] ?? {}));
        expect(planted.size, `${crm} planted types`).toBeGreaterThanOrEqual(8);
        for (const type of planted) {
          checked.add(type);
          if (!found.has(type)) missing.push(`${crm}: ${type}`);
        }
      }
      expect(missing, 'planted but not found').toEqual([]);
      expect(checked.size).toBeGreaterThanOrEqual(10);
    } finally {
      await reference.close();
    }
    expect(result.reviews.every((r) => Array.isArray(r.review.reps) && r.review.reps.length > 0)).toBe(true);
    expect(result.annotations.find((a) => a.crm === 'HubSpot')!.notes).toBeGreaterThan(0);
    expect(result.annotations.find((a) => a.crm === 'Salesforce')!.tasks).toBeGreaterThan(0);
    expect(result.exampleNotes.length).toBe(2);
  }, 180_000);
});

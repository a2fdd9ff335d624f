/**
 * The digest end to end, through the real CLI and a real worker process, against the sandbox CRM:
 * `dealwatch digest` prints it (text, JSON) and `--send` mails it to an SMTP server in this
 * process and posts it to a Slack webhook stand-in; a scheduled tick run by `dealwatch worker`
 * whose Slack post fails is retried, the retry sends only Slack (the mail went out once), and the
 * failure and the sends show on the worker's /metrics. Nothing leaves the machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { chooseQueueBackend, QueueSystem } from '../../../src/queue/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { parseExposition } from '../../support/prometheus-text.js';
import { REDIS_URL, redisAvailable, uniqueName } from '../../support/services.js';
import { cliEnv, createDatabase, runDealwatch, spawnDealwatch, type DealwatchProcess } from '../pipeline/dealwatch-process.js';
import { sandboxConnections, silentLogger } from '../pipeline/harness.js';
import { slackReceiver, smtpReceiver, type SlackReceiver, type SmtpReceiver } from './receivers.js';
import { RULE_NAMES } from '../../../src/domain/rules/names.js';

const redisOk = await redisAvailable();
const PUBLIC_URL = 'https://dealwatch.example.test';

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!redisOk)('digest by email and Slack', () => {
  let sandbox: Sandbox;
  let smtp: SmtpReceiver;
  let slack: SlackReceiver;
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let portalId: string;
  const prefix = uniqueName('{dwdigest}');
  const newRisksIn = (subject: string) => Number(/, (\d+) new risks?$/.exec(subject)?.[1] ?? Number.NaN);

  beforeAll(async () => {
    [sandbox, smtp, slack, database] = await Promise.all([
      startSandbox({ deals: 40, seed: 11 }),
      smtpReceiver(),
      slackReceiver(),
      createDatabase(),
    ]);
    portalId = String(sandbox.hubspot.portalId);
    dir = mkdtempSync(path.join(tmpdir(), 'dw-digest-'));
    const config = {
      connections: sandboxConnections(sandbox, 'dry-run'),
      digests: [
        {
          connection: 'hs',
          cron: '30 7 * * 1-5',
          timezone: 'Europe/Berlin',
          email: { to: ['manager@example.com', 'cro@example.com'] },
          slack: { webhookUrl: 'env:DW_TEST_SLACK_WEBHOOK' },
        },
      ],
    };
    writeFileSync(path.join(dir, 'dealwatch.json'), JSON.stringify(config));
    env = cliEnv({
      DEALWATCH_CONFIG: path.join(dir, 'dealwatch.json'),
      DATABASE_URL: database.url,
      REDIS_URL,
      DEALWATCH_QUEUE_PREFIX: prefix,
      SMTP_URL: smtp.url,
      DIGEST_FROM: 'dealwatch <digest@example.com>',
      DW_TEST_SLACK_WEBHOOK: slack.url,
      PUBLIC_URL,
    });
    const sync = await runDealwatch(['sync', 'hs', '--full', '--wait', '--json'], env);
    expect(sync.code, sync.stderr.slice(-2000)).toBe(0);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([sandbox?.close(), smtp?.close(), slack?.close()]);
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the digest as text and as one JSON line, every deal linked to its HubSpot record and its page', async () => {
    const text = await runDealwatch(['digest', 'hs'], env);
    expect(text.code, text.stderr.slice(-2000)).toBe(0);
    for (const heading of ['Forecast', 'What changed', 'Top risks by rep', 'Coaching']) expect(text.stdout).toContain(`\n${heading}\n`);
    expect(text.stdout).toContain(`https://app.hubspot.com/contacts/${portalId}/record/0-3/`);
    expect(text.stdout).toContain(`${PUBLIC_URL}/connections/hs/deals/`);
    // Top risks name their rules as a manager reads them, never by id.
    const named = [...text.stdout.matchAll(/, (?:critical|warning|info): (.+)$/gm)].flatMap((m) => m[1]!.split(', '));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !Object.values(RULE_NAMES).includes(name))).toEqual([]);

    const json = await runDealwatch(['digest', 'hs', '--json'], env);
    expect(json.code).toBe(0);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    const digest = JSON.parse(json.stdout) as { subject: string; text: string; html: string; slack: { blocks: unknown[] } };
    expect(Object.keys(digest).sort()).toEqual(['html', 'slack', 'subject', 'text']);
    expect(digest.subject).toMatch(/^Pipeline digest hs, \d{4}-\d{2}-\d{2}: /);
    expect(digest.html).toMatch(new RegExp(`<a [^>]*href="https://app.hubspot.com/contacts/${portalId}/record/0-3/\\d+"`));
    expect(digest.slack.blocks.length).toBeGreaterThan(3);
    expect(newRisksIn(digest.subject)).toBeGreaterThan(0);
  }, 120_000);

  it('refuses an unknown connection with exit 2, naming it', async () => {
    const run = await runDealwatch(['digest', 'no-such-crm'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"no-such-crm"');
    expect(run.stdout).toBe('');
  }, 60_000);

  it(
    '--send mails it (HTML and text) through SMTP with login and posts Block Kit to Slack, secrets ' + 'in neither logs nor output',
    async () => {
      const mailsBefore = smtp.mails.length;
      const postsBefore = slack.posts.length;
      const run = await runDealwatch(['digest', 'hs', '--send'], { ...env, LOG_LEVEL: 'debug' });
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      expect(run.stdout).toContain('sent on email, slack');
      expect(smtp.mails).toHaveLength(mailsBefore + 1);
      const mail = smtp.mails.at(-1)!;
      expect(mail.from?.text).toContain('digest@example.com');
      expect((Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((t) => t!.value.map((v) => v.address))).toEqual([
        'manager@example.com',
        'cro@example.com',
      ]);
      expect(mail.subject).toMatch(/^Pipeline digest hs, /);
      expect(mail.text).toContain('Top risks by rep');
      expect(mail.html).toContain(`https://app.hubspot.com/contacts/${portalId}/record/0-3/`);
      expect(mail.messageId).toMatch(/^<digest\.hs\.\d+@dealwatch>$/);
      expect(slack.posts).toHaveLength(postsBefore + 1);
      const post = slack.posts.at(-1)!;
      expect(post.body.text).toBe(mail.subject);
      expect(post.body.blocks?.[0]).toMatchObject({ type: 'header' });
      expect(JSON.stringify(post.body.blocks)).toContain(`|`);
      for (const secret of [smtp.password, slack.secretPath]) {
        expect(run.stderr).not.toContain(secret);
        expect(run.stdout).not.toContain(secret);
      }
      expect(run.stderr).toContain('digest sent');
    },
    120_000,
  );

  it('the next digest says what changed since the last one went out: a stage move and a win', async () => {
    const store = await openStore({ databaseUrl: database.url, migrate: false });
    let moved: { name: string; to: string };
    let won: { name: string };
    try {
      const stages = await store.stages.list('hs');
      const open = (await store.deals.loadOpen('hs')).sort((a, b) => a.externalId.localeCompare(b.externalId));
      const [a, b] = open.filter((d) => stages.some((s) => s.pipeline === d.pipeline && !s.isClosed && s.id !== d.stageId));
      const next = stages.find((s) => s.pipeline === a!.pipeline && !s.isClosed && s.id !== a!.stageId)!;
      const closedWon = stages.find((s) => s.pipeline === b!.pipeline && s.isClosed && s.isWon)!;
      sandbox.changeStage('hubspot', a!.externalId, next.id);
      sandbox.changeStage('hubspot', b!.externalId, closedWon.id);
      moved = { name: a!.name, to: next.label };
      won = { name: b!.name };
    } finally {
      await store.close();
    }
    const sync = await runDealwatch(['sync', 'hs', '--wait', '--json'], env);
    expect(sync.code, sync.stderr.slice(-2000)).toBe(0);
    const run = await runDealwatch(['digest', 'hs'], env);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const section = (title: string) => run.stdout.split(`\n${title}\n`)[1]?.split('\n\n')[0] ?? '';
    // The risks the last digest reported are not new any more: only the two changed deals may have new ones.
    const newRisks = section('New risks since the last digest')
      .split('\n')
      .filter((l) => l.startsWith('  - '));
    for (const line of newRisks)
      expect(
        [moved.name, won.name].some((name) => line.startsWith(`  - ${name}: `)),
        line,
      ).toBe(true);
    expect(section('Moved stage')).toContain(`${moved.name}: `);
    expect(section('Moved stage')).toContain(`-> ${moved.to}`);
    expect(section('Won')).toContain(`${won.name}: `);
    expect(run.stdout).toContain('since the last digest');
  }, 120_000);

  describe('a scheduled tick run by dealwatch worker', () => {
    let worker: DealwatchProcess;
    let metricsUrl: string;
    let store: Store;
    let queues: QueueSystem;

    beforeAll(async () => {
      worker = await spawnDealwatch(['worker'], { ...env, DEALWATCH_METRICS_PORT: '0' }, 'dealwatch workers running');
      const ready = worker.lines
        .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string; metrics?: string }) : {}))
        .find((l) => l.msg === 'dealwatch workers running')!;
      metricsUrl = ready.metrics!;
      store = await openStore({ databaseUrl: database.url, migrate: false });
      queues = await QueueSystem.open({
        backend: chooseQueueBackend({ redisUrl: REDIS_URL, databaseUrl: database.url }),
        prefix,
        installId: await store.installId(),
        logger: silentLogger(),
      });
    }, 120_000);

    afterAll(async () => {
      await queues?.close();
      await store?.close();
      if (worker) expect(await worker.stop()).toBe(0);
    });

    it('has the schedule the configuration gives', async () => {
      const schedulers = await queues.queue('digest').getJobSchedulers(0, -1, true);
      expect(schedulers.map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz }))).toEqual([
        { key: 'digest-hs', pattern: '30 7 * * 1-5', tz: 'Europe/Berlin' },
      ]);
    });

    it('retries a failed Slack post with backoff, sends the mail once, and counts both on /metrics', async () => {
      const mailsBefore = smtp.mails.length;
      const postsBefore = slack.posts.length;
      slack.script.push(500);
      const tick = new Date(Date.now() - 60_000);
      tick.setUTCMilliseconds(0);
      // Enqueued as the scheduler enqueues a tick: one job per digest and tick (a second add is the same job).
      const job = await queues.enqueue('digest', { connectionId: 'hs', digestId: 'hs', tick: tick.toISOString() });
      const again = await queues.enqueue('digest', { connectionId: 'hs', digestId: 'hs', tick: tick.toISOString() });
      expect(again.jobId).toBe(job.jobId);

      const digestQueue = queues.queue('digest');
      await until(
        async () => (await digestQueue.getJob(job.jobId))?.attemptsMade ?? 0,
        (n) => n >= 1,
        60_000,
        'the first attempt to fail',
      );
      expect(await (await digestQueue.getJob(job.jobId))!.getState()).toBe('delayed');
      expect(smtp.mails).toHaveLength(mailsBefore + 1);
      expect(slack.posts.slice(postsBefore).map((p) => p.status)).toEqual([500]);
      const failedLog = worker.lines.find((l) => l.includes('digest not sent on this channel'));
      expect(failedLog).toContain('Slack webhook answered 500');

      // The backoff is 30 s and up: promote the retry instead of waiting it out.
      await (await digestQueue.getJob(job.jobId))!.promote();
      const outcome = await queues.waitFor(job, { timeoutMs: 60_000 });
      expect(outcome).toMatchObject({ state: 'completed', result: { digestId: 'hs', sent: ['slack'], skipped: ['email'] } });
      expect(smtp.mails).toHaveLength(mailsBefore + 1);
      expect(slack.posts.slice(postsBefore).map((p) => p.status)).toEqual([500, 200]);
      expect(smtp.mails.at(-1)!.messageId).toBe(`<digest.hs.${tick.getTime()}@dealwatch>`);

      const metrics = parseExposition(await (await fetch(metricsUrl)).text());
      const sends = (channel: string, outcome: string) =>
        metrics.samples.find(
          (s) => s.name === 'dealwatch_digest_sends_total' && s.labels.channel === channel && s.labels.outcome === outcome,
        )?.value ?? 0;
      expect({
        emailSent: sends('email', 'sent'),
        emailSkipped: sends('email', 'skipped'),
        slackFailed: sends('slack', 'failed'),
        slackSent: sends('slack', 'sent'),
      }).toEqual({
        emailSent: 1,
        emailSkipped: 1,
        slackFailed: 1,
        slackSent: 1,
      });
      for (const secret of [smtp.password, slack.secretPath]) expect(worker.lines.join('\n')).not.toContain(secret);
    }, 150_000);

    it('sends on a tick the scheduler fires, named by that tick', async () => {
      const mailsBefore = smtp.mails.length;
      // Every second for a moment (the worker's scheduler, the configuration's schedule put back after).
      await queues.reconcileDigestSchedulers([{ connectionId: 'hs', digestId: 'hs', cron: '* * * * * *', timezone: 'Europe/Berlin' }]);
      try {
        await until(
          () => smtp.mails.length,
          (n) => n > mailsBefore,
          60_000,
          'a scheduled digest mail',
        );
      } finally {
        await queues.reconcileDigestSchedulers([{ connectionId: 'hs', digestId: 'hs', cron: '30 7 * * 1-5', timezone: 'Europe/Berlin' }]);
      }
      const mail = smtp.mails[mailsBefore]!;
      const tick = Number(/^<digest\.hs\.(\d+)@dealwatch>$/.exec(mail.messageId ?? '')?.[1]);
      // The scheduler's planned instant, on a whole second, not the moment the worker ran it.
      expect(tick % 1000).toBe(0);
      expect(Math.abs(Date.now() - tick)).toBeLessThan(120_000);
      const outcome = await queues.waitFor({ queue: 'digest', jobId: `repeat:digest-hs:${tick}` }, { timeoutMs: 60_000 });
      expect(outcome).toMatchObject({
        state: 'completed',
        result: { digestId: 'hs', tick: new Date(tick).toISOString(), sent: ['email', 'slack'] },
      });
    }, 120_000);
  });
});

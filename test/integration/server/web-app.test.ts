/**
 * The web app over HTTP, without a browser: sign-in with a token, the session cookie, CSRF on
 * forms, sign-out, the redirect of a browser without a session, the one-scheme 401 challenges,
 * and the pages on a seeded store (PostgreSQL, unique schema; queues on Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { API_TOKEN, hubspotConnection } from './support/app.js';
import { openSeededApi, type SeededApi } from './support/seeded-api.js';

const ok = (await redisAvailable()) && (await postgresAvailable());
const conn = hubspotConnection.id;

/** The `name=value` pairs of a response's Set-Cookie headers. */
function cookiesOf(headers: Record<string, unknown>): Record<string, { value: string; attributes: string }> {
  const raw = headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? (raw as string[]) : [String(raw)];
  return Object.fromEntries(
    list.map((line) => {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq).trim(), { value: pair.slice(eq + 1), attributes: attributes.join(';') }];
    }),
  );
}
const csrfOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const rowsOf = (body: string, tableId: string): string[] => {
  const table = new RegExp(`<table id="${tableId}">([\\s\\S]*?)</table>`).exec(body)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!).filter((r) => r.includes('<td'));
};

describe.skipIf(!ok)('web app: sign-in, session, CSRF, pages', () => {
  let api: SeededApi;
  let cookie = '';

  const inject = (
    method: 'GET' | 'POST',
    url: string,
    options: { body?: string; cookie?: string; headers?: Record<string, string> } = {},
  ) =>
    api.t.app.inject({
      method,
      url,
      headers: {
        ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: options.body }),
    });

  /** GET /login, then POST the token with its CSRF token; returns the answer and the cookie to keep. */
  async function signIn(token: string, next = '/connections') {
    const loginPage = await inject('GET', `/login?next=${encodeURIComponent(next)}`);
    const preSession = cookiesOf(loginPage.headers).dealwatch_session!.value;
    const answer = await inject('POST', '/login', {
      cookie: `dealwatch_session=${preSession}`,
      body: form({ token, _csrf: csrfOf(loginPage.body), next }),
    });
    return { answer, cookie: `dealwatch_session=${cookiesOf(answer.headers).dealwatch_session?.value ?? preSession}` };
  }

  beforeAll(async () => {
    api = await openSeededApi();
    const signed = await signIn(API_TOKEN);
    cookie = signed.cookie;
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('sends a browser without a session to /login, keeping where it was going', async () => {
    for (const url of ['/connections', `/connections/${conn}/deals?owner=u1`, `/connections/${conn}/forecast`, `/review/${conn}`]) {
      const res = await inject('GET', url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
  });

  it('answers the API with a Bearer challenge and the dashboards with a Basic one, never both in one header', async () => {
    const apiRefusal = await inject('GET', '/api/v1/connections');
    expect(apiRefusal.statusCode).toBe(401);
    expect(apiRefusal.headers['www-authenticate']).toBe('Bearer realm="dealwatch"');
    const board = await inject('GET', '/admin/queues');
    expect(board.statusCode).toBe(401);
    expect(board.headers['www-authenticate']).toBe('Basic realm="dealwatch", charset="UTF-8"');
    // A session cookie is not an API credential: the JSON API stays Bearer-only.
    expect((await inject('GET', '/api/v1/connections', { cookie })).statusCode).toBe(401);
  });

  it('serves the sign-in form with a CSRF token and an HttpOnly, SameSite=Lax session cookie', async () => {
    const res = await inject('GET', '/login');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<input type="password" name="token"/);
    expect(csrfOf(res.body)).not.toBe('');
    const session = cookiesOf(res.headers).dealwatch_session!;
    expect(session.attributes).toMatch(/HttpOnly/i);
    expect(session.attributes).toMatch(/SameSite=Lax/i);
    expect(session.attributes).toMatch(/Path=\//);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('signs in with a token and the form’s CSRF token, and the cookie opens the pages', async () => {
    const { answer, cookie: mine } = await signIn(API_TOKEN, `/connections/${conn}/reps`);
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe(`/connections/${conn}/reps`);
    const page = await inject('GET', '/connections', { cookie: mine });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/connections/${conn}/deals"`);
    expect(page.body).not.toContain(API_TOKEN);
  });

  it('refuses a wrong token (401, the form again, no session) and a sign-in without the CSRF token (403)', async () => {
    const { answer, cookie: after } = await signIn(`${API_TOKEN}x`);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toContain('not one of this install');
    expect(answer.body).not.toContain(`${API_TOKEN}x`);
    expect((await inject('GET', '/connections', { cookie: after })).statusCode).toBe(303);

    const loginPage = await inject('GET', '/login');
    const pre = `dealwatch_session=${cookiesOf(loginPage.headers).dealwatch_session!.value}`;
    for (const csrf of [undefined, 'forged-token']) {
      const res = await inject('POST', '/login', {
        cookie: pre,
        body: form({ token: API_TOKEN, ...(csrf === undefined ? {} : { _csrf: csrf }) }),
      });
      expect(res.statusCode, String(csrf)).toBe(403);
      expect(cookiesOf(res.headers).dealwatch_session).toBeUndefined();
    }
  });

  it('never redirects off the site after sign-in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const { answer } = await signIn(API_TOKEN, next);
      expect(answer.statusCode).toBe(303);
      expect(answer.headers.location, next).toBe('/connections');
    }
  });

  it('signs out only through the form (CSRF), and the cleared cookie opens nothing', async () => {
    const { cookie: mine } = await signIn(API_TOKEN);
    expect((await inject('POST', '/logout', { cookie: mine, body: form({}) })).statusCode).toBe(403);
    const page = await inject('GET', '/connections', { cookie: mine });
    // The page's form token comes with its secret in the (re-sealed) session cookie, as a browser keeps it.
    const withSecret = `dealwatch_session=${cookiesOf(page.headers).dealwatch_session?.value ?? ''}`;
    const out = await inject('POST', '/logout', { cookie: withSecret, body: form({ _csrf: csrfOf(page.body) }) });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    const cleared = cookiesOf(out.headers).dealwatch_session!;
    expect(cleared.attributes).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    expect((await inject('GET', '/connections', { cookie: `dealwatch_session=${cleared.value}` })).statusCode).toBe(303);
  });

  it('filters, sorts and pages the inspection table on the server, each row linked to its CRM record and deal page', async () => {
    const all = await inject('GET', `/connections/${conn}/deals`, { cookie });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.body).toContain('53 open deals match');
    expect(rowsOf(all.body, 'deals')).toHaveLength(50);
    const next = /href="([^"]*cursor=[^"]+)" rel="next"/.exec(all.body)![1]!.replaceAll('&amp;', '&');
    const second = await inject('GET', next, { cookie });
    expect(rowsOf(second.body, 'deals')).toHaveLength(3);
    // A cursor from another filter is refused.
    expect((await inject('GET', `${next}&owner=u1`, { cookie })).statusCode).toBe(400);

    const mine = await inject('GET', `/connections/${conn}/deals?owner=u1&sort=amount&dir=desc`, { cookie });
    const rows = rowsOf(mine.body, 'deals');
    expect(rows).toHaveLength(18);
    expect(rows.every((r) => r.includes('<td>Rep 1</td>'))).toBe(true);
    const amounts = rows.map((r) => Number(/<td class="num">([\d,]+) USD<\/td>/.exec(r)![1]!.replaceAll(',', '')));
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    const first = /href="\/connections\/hs-main\/deals\/(\d+)" class="deal"/.exec(rows[0]!)![1];
    expect(rows[0]).toContain(`href="https://app.hubspot.com/contacts/62515/record/0-3/${first}"`);

    const team = await inject('GET', `/connections/${conn}/deals?team=enterprise&rule=stale_deal&band=&stage=`, { cookie });
    expect(team.statusCode).toBe(200);
    expect(rowsOf(team.body, 'deals').every((r) => r.includes('<td>Rep 2</td>'))).toBe(true);
    expect((await inject('GET', `/connections/${conn}/deals?close=overdue`, { cookie })).body).toContain('0 open deals match');
    expect((await inject('GET', `/connections/${conn}/deals?close=this_quarter`, { cookie })).body).toContain('53 open deals match');
    const bad = await inject('GET', `/connections/${conn}/deals?sort=owner`, { cookie });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/text\/html/);
  });

  it('shows a deal: score components, findings with dates, stage path with days, activities, the warning as the rep sees it', async () => {
    const res = await inject('GET', `/connections/${conn}/deals/${api.seeded.richDealId}`, { cookie });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('<td>stage age</td>');
    expect(rowsOf(res.body, 'open-findings')[0]).toContain('2026-11-20');
    expect(rowsOf(res.body, 'resolved-findings')[0]).toContain('2026-11-26');
    // appointmentscheduled 2026-09-01 to 2026-10-01: 30 days; qualifiedtobuy since then to 2026-11-26: 56 days.
    const path = rowsOf(res.body, 'stage-path');
    expect(path[0]).toContain('<td class="num">30</td>');
    expect(path[1]).toContain('<td class="num">56</td>');
    expect(rowsOf(res.body, 'activities')).toHaveLength(3);
    expect(res.body).toContain('Pipeline health: No recent activity');
    expect(res.body).toContain('What to do: Log the last touch or close the deal');
    expect(res.body).toContain(`id="crm-link" rel="noopener noreferrer" target="_blank"`);
    expect((await inject('GET', `/connections/${conn}/deals/nope`, { cookie })).statusCode).toBe(404);
  });

  it('renders forecast, pipeline changes and reps with their SVG charts, and the review page', async () => {
    for (const [url, chart] of [
      [`/connections/${conn}/forecast`, 'forecast-by-rep'],
      [`/connections/${conn}/changes?from=2026-11-19&to=2026-11-26`, 'waterfall'],
      [`/connections/${conn}/reps`, 'stale-share-by-rep'],
      [`/connections/${conn}/deals`, 'score-distribution'],
    ] as const) {
      const res = await inject('GET', url, { cookie });
      expect(res.statusCode, `${url}\n${res.body.slice(0, 500)}`).toBe(200);
      expect(res.body, url).toMatch(new RegExp(`<figure class="chart" data-chart="${chart}"><svg `));
      expect(res.body, url).not.toMatch(/<script/);
    }
    expect((await inject('GET', `/connections/${conn}/forecast`, { cookie })).body).toMatch(/<table id="forecast-reps">[\s\S]*Rep 0/);
    // The deals that moved are named, each linked to its page (the rich deal's amount went 800 -> 1,000 on 2026-10-02).
    const moved = rowsOf((await inject('GET', `/connections/${conn}/changes?from=2026-09-01&to=2026-11-26`, { cookie })).body, 'changes');
    expect(
      moved.some((r) => r.includes(`<a href="/connections/${conn}/deals/${api.seeded.richDealId}">Deal 0</a>`)),
      moved.join('\n'),
    ).toBe(true);
    expect((await inject('GET', `/review/${conn}`, { cookie })).body).toContain(`Morning review: ${conn}`);
    const css = await inject('GET', '/assets/app.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });

  it("names who grants a discount in the deal page's warning, as the write-back does (the rep's manager here)", async () => {
    const dealId = api.seeded.openDealIds[7]!;
    const deal = await api.store.deals.get(conn, dealId);
    const owners = await api.store.owners.list(conn);
    const rep = owners.find((o) => o.externalId === deal!.ownerId)!;
    const manager = owners.find((o) => o.externalId !== rep.externalId)!;
    await api.store.owners.upsertMany(conn, [{ ...rep, managerId: manager.externalId }]);
    await api.store.findings.applyDiff(
      conn,
      {
        opened: [
          {
            finding: {
              connectionId: conn,
              dealId,
              ruleId: 'discount_over_limit',
              severity: 'critical',
              message:
                'Discount 30% on a 20,000 USD deal exceeds the 15% limit for deals under 50,000 USD; needs approval from the VP Sales.',
              evidence: { discountPercent: 30, limitPercent: 15, approver: 'VP Sales' },
              suggestedAction: "Get the VP Sales's approval for the discount, or bring it to 15% or less.",
            },
            annotationKey: `${conn}:${dealId}:discount_over_limit:1`,
          },
        ],
        stillOpen: [],
        resolved: [],
      },
      '2026-11-26T02:00:00.000Z',
    );
    const res = await inject('GET', `/connections/${conn}/deals/${dealId}`, { cookie });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain(`Approval is requested from ${manager.name}.`);
  });

  // Last: it spends this address's sign-in budget.
  it('limits sign-in attempts per address (guessing tokens gets 429)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await inject('POST', '/login', { body: form({ token: `guess-${i}` }) })).statusCode);
    expect(statuses).toContain(403);
    expect(statuses.at(-1)).toBe(429);
    const { answer } = await signIn(API_TOKEN);
    expect(answer.statusCode).toBe(429);
  });
});

/**
 * The web app in a real browser: Debian's Chromium driven by playwright-core against the real
 * server on a socket, over a store filled by a real sync of the sandbox CRM. Signs in, filters the
 * inspection table, opens a deal, reads its CRM link, counts a chart's bars, and saves a screenshot
 * of each page under test-results/screenshots/.
 *
 * Without Chromium the suite is skipped with a warning; under CI or DEALWATCH_REQUIRE_SERVICES it
 * fails instead (`.ci/run` installs the `chromium` package).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubSpotConnection } from '../../../src/domain/model/index.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from '../pipeline/harness.js';
import { freePort, serveHarness, type HarnessServer } from './support/harness-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.CI !== undefined || process.env.DEALWATCH_REQUIRE_SERVICES === '1';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (required)
    throw new Error(`Chromium is required (CI / DEALWATCH_REQUIRE_SERVICES) but ${CHROMIUM} does not exist: apt-get install chromium`);
  console.warn(`\n*** SKIPPED: web app browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH) ***\n`);
}
const ok = hasChromium && (await redisAvailable()) && (await postgresAvailable());

export const SCREENSHOTS = path.resolve('test-results', 'screenshots');
const TOKEN = 'browser-test-token-0123456789';
const conn = 'hs';

describe.skipIf(!ok)('web app in Chromium', () => {
  let h: Harness;
  let served: HarnessServer;
  let base: string;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const shoot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const port = await freePort();
    h = await startHarness({ store: 'postgres', queues: 'redis', deals: 120 });
    const outcomes = await h.sync(conn, 'full');
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    served = await serveHarness(h, { port, token: TOKEN });
    base = served.server.url;
    profile = mkdtempSync(path.join(tmpdir(), 'dw-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    // Console errors include CSP violations: a page whose stylesheet or chart the policy blocked fails.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    await served?.close();
    await h?.close();
  }, 60_000);

  it('sends a browser to sign in, and signs in with the API token', async () => {
    await page.goto(`${base}/connections`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shoot('login');
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForURL(`${base}/connections`), page.click('button[type="submit"]')]);
    const cookie = (await browser.cookies(base)).find((c) => c.name === 'dealwatch_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.textContent('#connections')).toContain('ok');
    await shoot('connections');
  });

  it('filters the inspection table by owner on the server', async () => {
    await page.goto(`${base}/connections/${conn}/deals`);
    const before = Number((await page.textContent('#matching'))!.replace(/\D/g, ''));
    const owner = await page.locator('select[name="owner"] option:not([value=""])').first();
    const [ownerId, ownerName] = [await owner.getAttribute('value'), (await owner.textContent())!];
    await page.selectOption('select[name="owner"]', ownerId!);
    await Promise.all([page.waitForURL(/owner=/), page.click('form.filters button[type="submit"]')]);
    const after = Number((await page.textContent('#matching'))!.replace(/\D/g, ''));
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
    const owners = await page.locator('#deals tbody tr td:nth-child(3)').allTextContents();
    expect(owners.length).toBe(Math.min(after, 50));
    expect(new Set(owners)).toEqual(new Set([ownerName]));
    await page.goto(`${base}/connections/${conn}/deals`);
    await shoot('inspection');
  });

  it('opens a deal from the table, and its CRM link points at the HubSpot record', async () => {
    await page.goto(`${base}/connections/${conn}/deals?sort=score&dir=asc`);
    const first = page.locator('#deals a.deal').first();
    const name = (await first.textContent())!;
    await Promise.all([page.waitForURL(/\/deals\/[^/?]+$/), first.click()]);
    expect(await page.textContent('h1')).toBe(name);
    const dealId = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    const portalId = (h.settings.find((s) => s.id === conn) as HubSpotConnection).portalId;
    expect(await page.getAttribute('#crm-link', 'href')).toBe(`https://app.hubspot.com/contacts/${portalId}/record/0-3/${dealId}`);
    expect(await page.locator('#stage-path tbody tr').count()).toBeGreaterThan(0);
    await shoot('deal');
  });

  it('draws the forecast chart with one bar per rep, as SVG from the server', async () => {
    await page.goto(`${base}/connections/${conn}/forecast`);
    const reps = await page.locator('#forecast-reps tbody tr').count();
    expect(reps).toBeGreaterThan(1);
    const bars = page.locator('figure[data-chart="forecast-by-rep"] svg path[ecmeta_series_index="0"][ecmeta_ssr_type="chart"]');
    const indexes = await bars.evaluateAll((paths) => paths.map((p) => p.getAttribute('ecmeta_data_index')));
    expect(new Set(indexes).size).toBe(reps);
    expect(indexes).toHaveLength(reps);
    await shoot('forecast');
    for (const name of ['changes', 'reps'] as const) {
      await page.goto(`${base}/connections/${conn}/${name}`);
      expect(await page.locator('figure.chart svg').count(), name).toBeGreaterThan(0);
      await shoot(name);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

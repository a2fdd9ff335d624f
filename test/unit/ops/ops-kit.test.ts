/**
 * The operations kit ships working: the Prometheus alerting rules pass `promtool check rules` and
 * their unit tests (`promtool test rules`), the Grafana dashboard is a well-formed dashboard whose
 * queries parse, and both query only metric families and labels dealwatch declares, so that a
 * renamed metric or label breaks this test rather than an on-call night. Without promtool
 * (Debian package `prometheus`) the promtool parts are skipped loudly; CI installs it and
 * DEALWATCH_REQUIRE_SERVICES=1 makes it required.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { declaredFamilies, familyOf } from '../../support/metric-families.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALERTS = path.join(ROOT, 'ops/prometheus/alerts.yml');
const ALERT_TESTS = path.join(ROOT, 'ops/prometheus/alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'ops/grafana/dealwatch.json');

const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool) {
  if (process.env.DEALWATCH_REQUIRE_SERVICES === '1')
    throw new Error('promtool is required (DEALWATCH_REQUIRE_SERVICES=1): apt-get install prometheus');
  console.warn('\n*** SKIPPED: promtool not installed (Debian package prometheus); alert rules checked by schema only ***\n');
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  datasource?: { type: string; uid: string };
}

const families = declaredFamilies();
const rules = (parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Dashboard variables replaced by what Grafana would send, so that the query parses as PromQL. */
const asPromQL = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$connection', '.*');

/** Every metric a query names, with the labels it groups or filters by. */
function usage(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  const grouping = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
  for (const m of expr.matchAll(/\b(dealwatch_[a-z_]+)(?:\{([^}]*)\})?/g)) {
    const matchers = [...(m[2] ?? '').matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)].map((x) => x[1]!);
    out.push({ metric: m[1]!, labels: [...matchers, ...grouping].filter((l) => l !== 'le') });
  }
  return out;
}

function expectDeclared(where: string, expr: string): void {
  const used = usage(expr);
  expect(used.length, `${where}: names no dealwatch metric`).toBeGreaterThan(0);
  for (const { metric, labels } of used) {
    const family = familyOf(metric, families);
    expect(family, `${where}: ${metric} is not a declared metric`).toBeDefined();
    for (const label of labels) expect(family!.labels, `${where}: ${metric} has no label ${label}`).toContain(label);
  }
}

describe('alerting rules (ops/prometheus/alerts.yml)', () => {
  it('cover each situation the operations section promises', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'DealwatchAnnotationsFailing',
        'DealwatchConnectionPaused',
        'DealwatchCrmRateLimited',
        'DealwatchEventsBacklog',
        'DealwatchQueueBacklog',
        'DealwatchSyncFailing',
        'DealwatchWebhooksRejected',
        'DealwatchWritebackJobFailed',
      ].sort(),
    );
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('query only declared metrics and labels', () => {
    for (const rule of rules) expectDeclared(rule.alert, rule.expr);
  });

  it.skipIf(!promtool)('pass promtool check rules and their unit tests (promtool test rules)', () => {
    execFileSync('promtool', ['check', 'rules', ALERTS], { stdio: 'pipe' });
    const run = spawnSync('promtool', ['test', 'rules', ALERT_TESTS], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    // Each alert has a case that expects it to fire.
    const tested = new Set([...readFileSync(ALERT_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]!));
    for (const rule of rules) expect(tested, rule.alert).toContain(rule.alert);
  });
});

describe('Grafana dashboard (ops/grafana/dealwatch.json)', () => {
  it('is a dashboard Grafana imports: unique ids, panels on the 24-column grid, a Prometheus data source variable', () => {
    expect(dashboard.uid).toBe('dealwatch-ops');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'connection']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(['timeseries', 'stat', 'bargauge', 'table'], p.title).toContain(p.type);
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets!.map((t) => t.refId)).size, p.title).toBe(p.targets!.length);
    }
    // No two panels overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('queries only declared metrics and labels, and shows every family the README lists', () => {
    for (const q of queries) expectDeclared(q.panel, q.expr);
    const shown = new Set(queries.flatMap((q) => usage(q.expr).map((u) => familyOf(u.metric, families)!.name)));
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `(dealwatch_[a-z_]+)` \|/gm)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.filter((name) => !shown.has(name))).toEqual([]);
  });

  it.skipIf(!promtool)('has queries that parse as PromQL (promtool check rules on each)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-dashboard-'));
    try {
      const file = path.join(dir, 'queries.yml');
      const asRules = {
        groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(q.expr) })) }],
      };
      writeFileSync(file, JSON.stringify(asRules));
      const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

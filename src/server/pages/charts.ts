/**
 * The web app's charts, rendered on the server as SVG by Apache ECharts (its server-side SVG
 * renderer), so they show without any client script. Each chart has a title and labels its
 * values. Bars carry ECharts' `ecmeta_series_index` / `ecmeta_data_index` attributes.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { Waterfall } from '../../domain/engine.js';
import { html, raw, type Html } from './html.js';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

const COLORS = {
  main: '#2e5aac',
  up: '#2f855a',
  down: '#c0362c',
  quota: '#98a2b3',
  closed: '#1d2433',
  critical: '#c0362c',
  at_risk: '#c77c02',
  healthy: '#2f855a',
};

/** Short figures for labels: 1.2M, 35k, 900. */
export function compact(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(x));
}
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Renders one option to an SVG figure; `name` identifies the chart in the page. */
function figure(name: string, option: Record<string, unknown>, size: { width: number; height: number }): Html {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' }, ...option });
    return html`<figure class="chart" data-chart="${name}">${raw(chart.renderToSVGString())}</figure>`;
  } finally {
    chart.dispose();
  }
}

const title = (text: string, subtext?: string) => ({ text, subtext, left: 'center', textStyle: { fontSize: 15 } });
const WIDE = { width: 760, height: 340 };

const WATERFALL_STEPS = [
  ['start', 'Start', 0],
  ['new', 'New', 1],
  ['pulledIn', 'Pulled in', 1],
  ['increased', 'Increased', 1],
  ['won', 'Won', -1],
  ['lost', 'Lost', -1],
  ['decreased', 'Decreased', -1],
  ['pushedOut', 'Pushed out', -1],
  ['end', 'End', 0],
] as const;

/**
 * Where each waterfall bar floats: `base` is the invisible part below it. Start and end stand on
 * zero; an increase starts at the running total, a decrease ends there.
 */
export function waterfallBars(w: Waterfall): { step: string; base: number; value: number; sign: -1 | 0 | 1 }[] {
  let running = 0;
  return WATERFALL_STEPS.map(([key, step, sign]) => {
    const x = w[key];
    if (sign === 0) {
      running = x;
      return { step, base: 0, value: x, sign };
    }
    if (sign > 0) {
      running += x;
      return { step, base: running - x, value: x, sign };
    }
    running -= x;
    return { step, base: running, value: x, sign };
  });
}

/** Pipeline waterfall: start, what came in, what went out, end. */
export function waterfallChart(w: Waterfall, subtitle: string): Html {
  const bars = waterfallBars(w);
  const base = bars.map((b) => b.base);
  const values = bars.map((b) => ({
    value: b.value,
    itemStyle: { color: b.sign === 0 ? COLORS.main : b.sign > 0 ? COLORS.up : COLORS.down },
    label: { formatter: b.sign === 0 || b.value === 0 ? compact(b.value) : `${b.sign > 0 ? '+' : '-'}${compact(b.value)}` },
  }));
  return figure(
    'waterfall',
    {
      title: title(`Pipeline waterfall (${w.currency})`, subtitle),
      grid: { left: 70, right: 20, top: 70, bottom: 40 },
      xAxis: { type: 'category', data: WATERFALL_STEPS.map(([, label]) => label), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: compact } },
      series: [
        { type: 'bar', stack: 'waterfall', data: base, itemStyle: { color: 'transparent' }, silent: true },
        { type: 'bar', stack: 'waterfall', data: values, label: { show: true, position: 'top' } },
      ],
    },
    WIDE,
  );
}

export interface RepForecastBar {
  name: string;
  closedWon: number;
  expected: number;
  quota: number | null;
}

/** Forecast against quota by rep: expected (series 0, one bar per rep), closed won, quota. */
export function forecastChart(reps: readonly RepForecastBar[], currency: string, period: string): Html {
  return figure(
    'forecast-by-rep',
    {
      title: title(`Forecast against quota by rep (${currency})`, period),
      legend: { top: 55 },
      grid: { left: 70, right: 20, top: 95, bottom: 40 },
      xAxis: { type: 'category', data: reps.map((r) => r.name), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: compact } },
      series: [
        {
          name: 'Expected',
          type: 'bar',
          data: reps.map((r) => r.expected),
          itemStyle: { color: COLORS.main },
          label: { show: true, position: 'top', formatter: (p: { value: number }) => compact(p.value) },
        },
        {
          name: 'Closed won',
          type: 'bar',
          data: reps.map((r) => r.closedWon),
          itemStyle: { color: COLORS.closed },
          label: { show: true, position: 'top', formatter: (p: { value: number }) => compact(p.value) },
        },
        // Without any quota configured the quota bars would all read 0: left out.
        ...(reps.some((r) => r.quota !== null)
          ? [
              {
                name: 'Quota',
                type: 'bar',
                data: reps.map((r) => r.quota ?? 0),
                itemStyle: { color: COLORS.quota },
                label: { show: true, position: 'top', formatter: (p: { value: number }) => compact(p.value) },
              },
            ]
          : []),
      ],
    },
    { width: Math.max(WIDE.width, 140 * reps.length), height: WIDE.height },
  );
}

/** Share of each rep's open pipeline that is stale. */
export function staleShareChart(reps: readonly { name: string; staleShare: number | null }[]): Html {
  return figure(
    'stale-share-by-rep',
    {
      title: title('Stale share of open pipeline by rep'),
      grid: { left: 130, right: 50, top: 50, bottom: 30 },
      xAxis: { type: 'value', max: 1, axisLabel: { formatter: pct } },
      yAxis: { type: 'category', data: reps.map((r) => r.name), inverse: true },
      series: [
        {
          type: 'bar',
          data: reps.map((r) => ({
            value: r.staleShare ?? 0,
            itemStyle: { color: (r.staleShare ?? 0) >= 0.3 ? COLORS.down : COLORS.main },
          })),
          label: { show: true, position: 'right', formatter: (p: { value: number }) => pct(p.value) },
        },
      ],
    },
    { width: 620, height: 90 + 34 * reps.length },
  );
}

/** Stage-to-next conversion: each rep's bars against the team's rate (a line). */
export function stageConversionChart(
  stages: readonly string[],
  team: readonly (number | null)[],
  reps: readonly { name: string; rates: readonly (number | null)[] }[],
): Html {
  return figure(
    'stage-conversion',
    {
      title: title('Stage conversion against the team'),
      legend: { top: 45, type: 'scroll' },
      grid: { left: 60, right: 20, top: 85, bottom: 40 },
      xAxis: { type: 'category', data: [...stages], axisLabel: { interval: 0, width: 110, overflow: 'break' } },
      yAxis: { type: 'value', max: 1, axisLabel: { formatter: pct } },
      series: [
        ...reps.map((r) => ({ name: r.name, type: 'bar', data: r.rates.map((x) => x ?? 0) })),
        {
          name: 'Team',
          type: 'line',
          data: team.map((x) => x ?? 0),
          itemStyle: { color: COLORS.closed },
          lineStyle: { type: 'dashed' },
          label: { show: true, position: 'top', formatter: (p: { value: number }) => pct(p.value) },
        },
      ],
    },
    { width: Math.max(WIDE.width, 120 * stages.length), height: WIDE.height },
  );
}

/** Open deals per score bucket, stacked by band. */
export function scoreDistributionChart(
  histogram: readonly { from: number; band: 'critical' | 'at_risk' | 'healthy'; deals: number }[],
  width: number,
): Html {
  const buckets = [...new Set(histogram.map((b) => b.from))].sort((a, b) => a - b);
  const bands = ['critical', 'at_risk', 'healthy'] as const;
  const count = (from: number, band: string) => histogram.find((b) => b.from === from && b.band === band)?.deals ?? 0;
  return figure(
    'score-distribution',
    {
      title: title('Score distribution of open deals'),
      legend: { top: 40 },
      grid: { left: 50, right: 20, top: 75, bottom: 40 },
      xAxis: { type: 'category', data: buckets.map((from) => (from >= 100 ? '100' : `${from}-${Math.min(100, from + width - 1)}`)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: bands.map((band) => ({
        name: band.replace('_', ' '),
        type: 'bar',
        stack: 'score',
        data: buckets.map((from) => count(from, band)),
        itemStyle: { color: COLORS[band] },
        label: { show: true, formatter: (p: { value: number }) => (p.value > 0 ? String(p.value) : '') },
      })),
    },
    { width: 620, height: 300 },
  );
}

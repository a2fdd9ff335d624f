/**
 * `dealwatch report <connection> [--json]`: the morning review, computed by the same review
 * service as `GET /api/v1/connections/:id/review`.
 */
import Table from 'cli-table3';
import { DealwatchError } from '../domain/errors.js';
import type { MoneyTotal, MorningReview } from '../domain/engine.js';
import { createReviewService } from '../server/review-service.js';
import { connectionDirectory } from './support.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import { formatPercent, formatWhole } from './format.js';
import type { ReportOptions } from './types.js';

export async function run(options: ReportOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = configFrom(options);
  const connections = connectionDirectory(config);
  if (connections.get(options.connection) === undefined) {
    throw new DealwatchError(
      'NOT_FOUND',
      `no connection "${options.connection}" in the configuration (known: ${config.connections.map((c) => c.id).join(', ') || 'none'})`,
    );
  }
  const logger = commandLogger(config);
  const store = await storeFrom(config, logger);
  try {
    const review = await createReviewService({ store, connections }).review(options.connection, new Date());
    const color = (out as { isTTY?: boolean }).isTTY === true;
    out.write(options.json ? `${JSON.stringify(review)}\n` : formatReview(options.connection, review, { color }));
    return 0;
  } finally {
    await store.close();
  }
}

const money = (total: MoneyTotal): string =>
  total.length === 0 ? '0' : total.map((m) => `${formatWhole(m.amount)} ${m.currency}`).join(' + ');
const percent = (x: number | null): string => formatPercent(x);
const METHOD_NAMES = {
  crm_probability: 'CRM probability',
  stage_conversion: 'historical stage conversion',
  adjusted: 'stage conversion adjusted for overdue, stale and pushed deals',
} as const;

/** The review as terminal tables: what needs attention first. Colours only on a terminal. */
export function formatReview(connectionId: string, review: MorningReview, options: { color?: boolean } = {}): string {
  const style = options.color === true ? {} : { style: { head: [], border: [] } };
  const parts: string[] = [`Morning review: ${connectionId}, ${review.asOf} (${review.timezone}), amounts in ${review.currency}\n`];

  const f = review.forecast;
  const change = f.change === null ? 'no snapshot a week ago' : `${f.change >= 0 ? '+' : ''}${formatWhole(f.change)} vs last week`;
  parts.push(
    `Forecast ${f.period}: expected ${formatWhole(f.expectedNow)} ${f.currency} (${change}); closed won ${formatWhole(f.closedWonNow)}\n`,
  );

  const call = review.forecastCall;
  if (call !== null) {
    const e = call.measuredError;
    const measured =
      e === null || e.meanAbsPercentError === null
        ? 'not measured yet (no past quarter with won deals to compare)'
        : `backtest error ${formatPercent(e.meanAbsPercentError)} on average, bias ${formatPercent(e.meanBias, true)} ` +
          `(${e.points} points over ${e.quarters.join(', ')})`;
    const table = new Table({
      head: ['Quarter', 'Closed won', 'Commit', 'Best case', 'Pipeline', 'Expected', 'Quota', 'Attainment', 'Gap'],
      ...style,
    });
    for (const q of call.quarters) {
      const t = q.total;
      table.push([
        q.label,
        formatWhole(t.closedWon),
        formatWhole(t.commit),
        formatWhole(t.bestCase),
        formatWhole(t.openPipeline),
        formatWhole(t.expected),
        t.quota === null ? '-' : formatWhole(t.quota),
        percent(t.attainment),
        t.gap === null ? '-' : formatWhole(t.gap),
      ]);
    }
    parts.push(`Forecast call (${call.currency}; expected by ${METHOD_NAMES[call.method]}: ${measured})\n${table.toString()}\n`);
  }

  const groups = review.findingsByRep;
  const byRep = groups.slice(0, 15).map((g) => `  [${g.severity}] ${g.message}`);
  if (groups.length > 15) byRep.push(`  ... and ${groups.length - 15} more groups (dealwatch report --json)`);
  parts.push(`Open findings by rep and rule (${groups.length})\n${byRep.length > 0 ? byRep.join('\n') : '  none'}\n`);
  if (review.concentrations.length > 0) parts.push(`Concentrations\n${review.concentrations.map((c) => `  ${c.message}`).join('\n')}\n`);
  if (review.activityCollapses.length > 0)
    parts.push(`Activity collapse\n${review.activityCollapses.map((c) => `  ${c.message}`).join('\n')}\n`);
  if (review.stageConversionGaps.length > 0)
    parts.push(`Stage conversion below the team\n${review.stageConversionGaps.map((g) => `  ${g.message}`).join('\n')}\n`);

  const critical = new Table({
    head: ['Deal', 'Owner', 'Amount', 'Score', 'Findings'],
    colWidths: [32, 18, 14, 7, 80],
    wordWrap: true,
    ...style,
  });
  for (const d of review.newCritical.slice(0, 20)) {
    critical.push([
      d.name,
      d.ownerName,
      money(d.amount),
      d.score ?? '-',
      d.findings.map((x) => `${x.ruleId}: ${x.message} -> ${x.suggestedAction}`).join('\n'),
    ]);
  }
  const more =
    review.newCritical.length > 20
      ? `  ... and ${review.newCritical.length - 20} more (dealwatch report --json, or GET /api/v1/connections/${connectionId}/review)\n`
      : '';
  parts.push(
    `New critical findings (${review.newCritical.length})\n${review.newCritical.length > 0 ? critical.toString() : '  none'}\n${more}`,
  );

  const reps = new Table({ head: ['Rep', 'Stale pipeline', 'Stale deals', 'Stale share', 'Compliance', 'Open deals'], ...style });
  for (const r of review.reps)
    reps.push([r.name, money(r.stalePipeline), r.staleDeals, percent(r.staleShare), percent(r.complianceRate), r.openDeals]);
  parts.push(`Reps by stale pipeline\n${review.reps.length > 0 ? reps.toString() : '  none'}\n`);

  const trends = new Table({ head: ['Scope', 'Period', 'Flag'], ...style });
  for (const t of review.trendFlags) trends.push([t.name, t.period, t.flag.message]);
  parts.push(`KPI trend flags (${review.trendFlags.length})\n${review.trendFlags.length > 0 ? trends.toString() : '  none'}\n`);
  return parts.join('\n');
}

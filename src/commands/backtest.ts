/**
 * `dealwatch backtest <connection> [--quarters N] [--json]`: replays each forecast method at the
 * start and middle of the last N complete fiscal quarters, from the CRM history in the store, and
 * compares it with what was won. Same review service as `GET /api/v1/connections/:id/backtest`.
 */
import Table from 'cli-table3';
import { DealwatchError } from '../domain/errors.js';
import type { BacktestReport, ForecastMethod } from '../domain/engine.js';
import { createReviewService } from '../server/review-service.js';
import { connectionDirectory } from './support.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import { formatWhole, formatPercent } from './format.js';
import type { BacktestOptions } from './types.js';

export async function run(options: BacktestOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = configFrom(options);
  const connections = connectionDirectory(config);
  if (connections.get(options.connection) === undefined) {
    throw new DealwatchError(
      'NOT_FOUND',
      `no connection "${options.connection}" in the configuration (known: ${config.connections.map((c) => c.id).join(', ') || 'none'})`,
    );
  }
  const store = await storeFrom(config, commandLogger(config));
  try {
    const report = await createReviewService({ store, connections }).backtest(
      options.connection,
      options.quarters === undefined ? {} : { quarters: options.quarters },
      new Date(),
    );
    const color = (out as { isTTY?: boolean }).isTTY === true;
    out.write(options.json ? `${JSON.stringify(report)}\n` : formatBacktest(options.connection, report, { color }));
    return 0;
  } finally {
    await store.close();
  }
}

const METHOD_NAMES: Record<ForecastMethod, string> = {
  crm_probability: 'CRM probability',
  stage_conversion: 'Stage conversion',
  adjusted: 'Adjusted (in use)',
};

/** The backtest as terminal tables: one row per quarter and point, then the error per method. */
export function formatBacktest(connectionId: string, report: BacktestReport, options: { color?: boolean } = {}): string {
  const style = options.color === true ? {} : { style: { head: [], border: [] } };
  const methods = report.summary.map((s) => s.method);
  const points = new Table({
    head: ['Quarter', 'As of', 'Won', 'Open deals', ...methods.map((m) => `${METHOD_NAMES[m]}\nforecast (error)`)],
    ...style,
  });
  for (const p of report.points) {
    points.push([
      p.quarter,
      `${p.asOf} (${p.point})`,
      formatWhole(p.actual),
      `${p.openDeals} (${formatWhole(p.openPipeline)})`,
      ...methods.map((m) => {
        const r = p.methods.find((x) => x.method === m)!;
        return `${formatWhole(r.forecast)} (${r.error >= 0 ? '+' : ''}${formatPercent(r.bias)})`;
      }),
    ]);
  }
  const summary = new Table({ head: ['Method', 'Mean abs. % error', 'Mean bias', 'Points'], ...style });
  for (const s of report.summary)
    summary.push([METHOD_NAMES[s.method], formatPercent(s.meanAbsPercentError), formatPercent(s.meanBias, true), s.points]);
  return [
    `Forecast backtest: ${connectionId}, ${report.quarters.length} quarters ` +
      `(${report.quarters.at(-1) ?? '-'} to ${report.quarters[0] ?? '-'}), amounts in ${report.currency}`,
    'Each method weighs the pipeline as it stood (rebuilt from CRM history) with what it had learned by then; error = forecast - won.',
    '',
    points.toString(),
    '',
    summary.toString(),
    report.unconvertedDeals > 0 ? `${report.unconvertedDeals} deals left out: no exchange rate to ${report.currency}` : '',
    '',
  ].join('\n');
}

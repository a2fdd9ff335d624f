/**
 * The digest written for its readers: a subject, a plain-text and an HTML body for the mail, and a
 * Block Kit message for Slack. Pure: the same content gives the same digest. Short enough for a
 * phone: each list shows its first few items and says how many more there are.
 */
import { escapeHtml } from '../server/pages/html.js';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import { formatPercent, formatWhole } from '../commands/format.js';
import type { DigestContent, DigestDeal } from './content.js';
import { ruleName } from '../domain/rules/names.js';

/** Items shown per list; the rest is counted. */
export const LIST_LIMIT = 5;

export interface Digest {
  subject: string;
  text: string;
  html: string;
  slack: { text: string; blocks: SlackBlock[] };
}

/** A Block Kit block as @slack/webhook takes it. */
export type SlackBlock = NonNullable<IncomingWebhookSendArguments['blocks']>[number];

const money = (amount: number | null, currency: string): string => (amount === null ? 'no amount' : `${formatWhole(amount)} ${currency}`);
const scopeOf = (c: DigestContent): string => (c.team === null ? c.connectionName : `${c.connectionName}, team ${c.team}`);

/** One line per section item, with the deal it is about. */
interface Line {
  deal: DigestDeal | null;
  /** Text after the deal's name. */
  rest: string;
}

interface Section {
  title: string;
  lines: Line[];
  /** Items left out. */
  more: number;
  /** Shown when there are no lines. */
  empty: string;
  /** How the "nothing changed" line names it. */
  noun?: string;
}

function forecastLine(c: DigestContent): string {
  const f = c.forecast;
  if (f === null) return 'No forecast: nothing open or closed this quarter.';
  const expected = `Expected ${money(f.expected, c.currency)}`;
  if (f.quota === null)
    return `${f.period}: ${expected}, closed won ${money(f.closedWon, c.currency)}, commit ${money(f.commit, c.currency)} (no quota set).`;
  const gap = f.gap === null ? '' : f.gap > 0 ? `, gap ${money(f.gap, c.currency)} to close` : `, ${money(-f.gap, c.currency)} over quota`;
  const quota = `${expected} of quota ${money(f.quota, c.currency)} (${formatPercent(f.expectedAttainment)})`;
  const won = `closed won ${money(f.closedWon, c.currency)} (${formatPercent(f.attainment)})`;
  return `${f.period}: ${quota}; ${won}${gap}; commit ${money(f.commit, c.currency)}.`;
}

function limited<T>(items: readonly T[], limit = LIST_LIMIT): { shown: T[]; more: number } {
  return { shown: items.slice(0, limit), more: Math.max(0, items.length - limit) };
}

function sections(c: DigestContent): Section[] {
  const ch = c.changes;
  const since = c.firstDigest ? 'in the last day' : 'since the last digest';
  const of = <T>(title: string, noun: string, items: readonly T[], line: (item: T) => Line): Section => {
    const { shown, more } = limited(items);
    return { title, lines: shown.map(line), more, empty: 'none', noun };
  };
  const out: Section[] = [
    of(`New risks ${since}`, 'new risks', ch.newRisks, (r) => ({
      deal: r.deal,
      rest: `${money(r.deal.amount, r.deal.currency)}, ${r.deal.ownerName}: ${r.message}`,
    })),
    of('Resolved', 'resolved risks', ch.resolved, (r) => ({
      deal: r.deal,
      rest: `${r.deal.ownerName}: ${r.ruleIds.map(ruleName).join(', ')}`,
    })),
    of('Moved stage', 'stage moves', ch.stageMoves, (m) => ({ deal: m.deal, rest: `${m.from} -> ${m.to}` })),
    of('Pushed out', 'pushed close dates', ch.pushed, (p) => ({
      deal: p.deal,
      rest: `close ${p.from ?? '-'} -> ${p.to ?? '-'}, ${money(p.deal.amount, p.deal.currency)}`,
    })),
    of('Won', 'wins', ch.won, (d) => ({ deal: d, rest: `${money(d.amount, d.currency)}, ${d.ownerName}` })),
    of('Lost', 'losses', ch.lost, (d) => ({ deal: d, rest: `${money(d.amount, d.currency)}, ${d.ownerName}` })),
  ];
  return out;
}

/** Sections without news are named on one line instead of one "none" each: a phone screen is short. */
function quietLine(c: DigestContent, all: readonly Section[]): string | null {
  const empty = all.filter((s) => s.lines.length === 0);
  if (empty.length === 0) return null;
  const since = c.firstDigest ? 'in the last day' : 'since the last digest';
  if (empty.length === all.length) return `Nothing changed ${since}.`;
  const nouns = empty.map((s) => `no ${s.noun ?? s.title}`);
  const listed = nouns.length === 1 ? nouns[0]! : `${nouns.slice(0, -1).join(', ')} and ${nouns.at(-1)!}`;
  return `${listed.charAt(0).toUpperCase()}${listed.slice(1)} ${since}.`;
}

/** The top risks by rep: the rep's total, then the largest deals. */
function riskSections(c: DigestContent): Section[] {
  const { shown, more } = limited(c.risksByRep);
  const reps = shown.map((r): Section => ({
    title: `${r.rep}: ${money(r.atRisk, c.currency)} at risk in ${r.dealCount} deal${r.dealCount === 1 ? '' : 's'}`,
    lines: r.deals.map((d) => ({
      deal: d.deal,
      rest: `${money(d.deal.amount, d.deal.currency)}, ${d.severity}: ${d.ruleIds.map(ruleName).join(', ')}`,
    })),
    more: r.dealCount - r.deals.length,
    empty: '',
  }));
  if (more > 0) reps.push({ title: `... and ${more} more rep${more === 1 ? '' : 's'} with risks`, lines: [], more: 0, empty: '' });
  return reps;
}

/** Writes the digest for every channel. */
export function composeDigest(c: DigestContent): Digest {
  const f = c.forecast;
  const headline =
    f === null
      ? 'no forecast'
      : f.quota === null
        ? `expected ${money(f.expected, c.currency)}`
        : `expected ${money(f.expected, c.currency)} of ${money(f.quota, c.currency)}`;
  const risks = `${c.changes.newRisks.length} new risk${c.changes.newRisks.length === 1 ? '' : 's'}`;
  const subject = `Pipeline digest ${scopeOf(c)}, ${c.day}: ${headline}, ${risks}`;
  return { subject, text: textOf(c), html: htmlOf(c, subject), slack: slackOf(c, subject) };
}

function textOf(c: DigestContent): string {
  const out: string[] = [`Pipeline digest: ${scopeOf(c)}, ${c.day} (${c.timezone})`, '', 'Forecast', `  ${forecastLine(c)}`];
  const dealText = (line: Line) => {
    if (line.deal === null) return `  - ${line.rest}`;
    const links = [line.deal.crmUrl && `CRM ${line.deal.crmUrl}`, line.deal.pageUrl && `dealwatch ${line.deal.pageUrl}`]
      .filter(Boolean)
      .join(' | ');
    return `  - ${line.deal.name}: ${line.rest}${links ? `\n    ${links}` : ''}`;
  };
  const block = (s: Section) => {
    out.push('', s.title);
    if (s.lines.length === 0 && s.empty) out.push(`  ${s.empty}`);
    out.push(...s.lines.map(dealText));
    if (s.more > 0) out.push(`  ... and ${s.more} more`);
  };
  out.push('', 'What changed');
  const changed = sections(c);
  for (const s of changed.filter((x) => x.lines.length > 0)) block(s);
  const quiet = quietLine(c, changed);
  if (quiet !== null) out.push('', quiet);
  out.push('', 'Top risks by rep');
  if (c.risksByRep.length === 0) out.push('  none');
  for (const s of riskSections(c)) block(s);
  out.push('', 'Coaching');
  out.push(...(c.coaching.length === 0 ? ['  nobody needs a nudge today'] : c.coaching.map((x) => `  - ${x.rep}: ${x.line}`)));
  if (c.links) out.push('', `Inspect the pipeline: ${c.links.deals}`, `Forecast: ${c.links.forecast}`, `Changes: ${c.links.changes}`);
  return `${out.join('\n')}\n`;
}

const STYLE = {
  body:
    'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.4;' +
    'color:#1f2328;max-width:600px;margin:0 auto;padding:12px',
  h1: 'font-size:18px;margin:0 0 4px',
  h2: 'font-size:16px;margin:18px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:2px',
  h3: 'font-size:15px;margin:10px 0 4px',
  muted: 'color:#656d76;font-size:13px',
  ul: 'margin:0;padding-left:18px',
  a: 'color:#0969da',
};

function htmlOf(c: DigestContent, subject: string): string {
  const e = (value: unknown) => escapeHtml(String(value));
  const link = (href: string | null, text: string) => (href === null ? e(text) : `<a style="${STYLE.a}" href="${e(href)}">${e(text)}</a>`);
  const dealHtml = (line: Line) => {
    if (line.deal === null) return `<li>${e(line.rest)}</li>`;
    const d = line.deal;
    const name = link(d.pageUrl ?? d.crmUrl, d.name);
    const crm = d.crmUrl !== null && d.pageUrl !== null ? ` <span style="${STYLE.muted}">(${link(d.crmUrl, 'CRM')})</span>` : '';
    return `<li>${name}${crm}: ${e(line.rest)}</li>`;
  };
  const block = (s: Section, heading: 'h2' | 'h3') => {
    const items = s.lines.map(dealHtml);
    if (s.more > 0) items.push(`<li style="${STYLE.muted}">... and ${s.more} more</li>`);
    const body =
      items.length > 0
        ? `<ul style="${STYLE.ul}">${items.join('')}</ul>`
        : s.empty
          ? `<p style="${STYLE.muted};margin:0">${e(s.empty)}</p>`
          : '';
    return `<${heading} style="${STYLE[heading]}">${e(s.title)}</${heading}>${body}`;
  };
  const changed = sections(c);
  const quiet = quietLine(c, changed);
  const parts = [
    `<h1 style="${STYLE.h1}">Pipeline digest: ${e(scopeOf(c))}</h1>`,
    `<p style="${STYLE.muted};margin:0">${e(c.day)} (${e(c.timezone)})</p>`,
    `<h2 style="${STYLE.h2}">Forecast</h2><p style="margin:0">${e(forecastLine(c))}</p>`,
    `<h2 style="${STYLE.h2}">What changed</h2>`,
    ...changed.filter((x) => x.lines.length > 0).map((s) => block(s, 'h3')),
    ...(quiet === null ? [] : [`<p style="${STYLE.muted};margin:6px 0 0">${e(quiet)}</p>`]),
    `<h2 style="${STYLE.h2}">Top risks by rep</h2>`,
    ...(c.risksByRep.length === 0 ? [`<p style="${STYLE.muted};margin:0">none</p>`] : riskSections(c).map((s) => block(s, 'h3'))),
    `<h2 style="${STYLE.h2}">Coaching</h2>`,
    c.coaching.length === 0
      ? `<p style="${STYLE.muted};margin:0">nobody needs a nudge today</p>`
      : `<ul style="${STYLE.ul}">${c.coaching.map((x) => `<li><b>${e(x.rep)}</b>: ${e(x.line)}</li>`).join('')}</ul>`,
  ];
  if (c.links) {
    const links =
      `${link(c.links.deals, 'Inspect the pipeline')} · ` + `${link(c.links.forecast, 'Forecast')} · ${link(c.links.changes, 'Changes')}`;
    parts.push(`<p style="margin-top:18px">${links}</p>`);
  }
  const head =
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${e(subject)}</title></head>`;
  return `<!doctype html>\n<html lang="en">${head}\n<body style="${STYLE.body}">\n${parts.join('\n')}\n</body></html>\n`;
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
const slackEscape = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** A section's text may hold 3000 characters (https://api.slack.com/reference/block-kit/blocks#section). */
const SLACK_TEXT_MAX = 3000;
const clip = (text: string): string => (text.length <= SLACK_TEXT_MAX ? text : `${text.slice(0, SLACK_TEXT_MAX - 4)}\n...`);

function slackOf(c: DigestContent, subject: string): Digest['slack'] {
  const link = (href: string | null, text: string) =>
    href === null ? slackEscape(text) : `<${href.replace(/[<>|]/g, encodeURIComponent)}|${slackEscape(text).replace(/\|/g, '¦')}>`;
  const dealLine = (line: Line) => {
    if (line.deal === null) return `• ${slackEscape(line.rest)}`;
    const d = line.deal;
    const crm = d.crmUrl !== null && d.pageUrl !== null ? ` (${link(d.crmUrl, 'CRM')})` : '';
    return `• ${link(d.pageUrl ?? d.crmUrl, d.name)}${crm}: ${slackEscape(line.rest)}`;
  };
  const sectionText = (s: Section) => {
    const lines = s.lines.map(dealLine);
    if (s.more > 0) lines.push(`_... and ${s.more} more_`);
    if (lines.length === 0 && s.empty) lines.push(`_${slackEscape(s.empty)}_`);
    return `*${slackEscape(s.title)}*${lines.length > 0 ? `\n${lines.join('\n')}` : ''}`;
  };
  const mrkdwn = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text) } });
  const all = sections(c);
  const changes = all.filter((s) => s.lines.length > 0);
  const quiet = quietLine(c, all);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Pipeline digest: ${scopeOf(c)}`.slice(0, 150) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${c.day} (${c.timezone})`) }] },
    mrkdwn(`*Forecast*\n${slackEscape(forecastLine(c))}`),
    { type: 'divider' },
    mrkdwn([...changes.map(sectionText), ...(quiet === null ? [] : [`_${slackEscape(quiet)}_`])].join('\n\n')),
    { type: 'divider' },
    mrkdwn(`*Top risks by rep*\n${c.risksByRep.length === 0 ? '_none_' : riskSections(c).map(sectionText).join('\n')}`),
  ];
  if (c.coaching.length > 0)
    blocks.push(mrkdwn(`*Coaching*\n${c.coaching.map((x) => `• *${slackEscape(x.rep)}*: ${slackEscape(x.line)}`).join('\n')}`));
  if (c.links) {
    const text =
      `${link(c.links.deals, 'Inspect the pipeline')} · ` + `${link(c.links.forecast, 'Forecast')} · ${link(c.links.changes, 'Changes')}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
  }
  return { text: subject, blocks };
}

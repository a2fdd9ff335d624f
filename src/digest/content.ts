/**
 * What a digest says, before it is written for a channel: the numbers and the deals, each deal
 * with its two links. `gatherDigest` (./gather.ts) fills it from the store and the review service;
 * `composeDigest` (./compose.ts) writes it as mail and Slack message.
 */
import type { Severity } from '../domain/model/index.js';

/** A deal as the digest names it, linked to its CRM record and to its page in the web app. */
export interface DigestDeal {
  dealId: string;
  name: string;
  ownerName: string;
  /** In `currency`; null when the deal has none. */
  amount: number | null;
  currency: string;
  /** The record in the CRM; null when the connection does not say where (HubSpot without portalId). */
  crmUrl: string | null;
  /** The deal's page in the web app; null without a public URL. */
  pageUrl: string | null;
}

export interface DigestContent {
  digestId: string;
  connectionId: string;
  connectionName: string;
  team: string | null;
  /** The instant the digest describes (its schedule tick), ISO. */
  asOf: string;
  /** Its day in the digest's time zone, `YYYY-MM-DD`. */
  day: string;
  timezone: string;
  /** Reporting currency of the forecast and the totals. */
  currency: string;
  /** Where "what changed" starts: the previous digest's tick, or a day before `asOf` for the first. */
  since: string;
  /** First digest: there is no previous one to compare with. */
  firstDigest: boolean;
  /** The current fiscal quarter against quota (the team's, or everyone's). */
  forecast: {
    period: string;
    closedWon: number;
    commit: number;
    bestCase: number;
    expected: number;
    quota: number | null;
    /** Quota - closed won; negative when over quota. */
    gap: number | null;
    attainment: number | null;
    expectedAttainment: number | null;
  } | null;
  changes: {
    newRisks: { deal: DigestDeal; ruleId: string; severity: Severity; message: string }[];
    /** Deals whose risks were resolved (deals won or lost meanwhile are listed there instead). */
    resolved: { deal: DigestDeal; ruleIds: string[] }[];
    stageMoves: { deal: DigestDeal; from: string; to: string }[];
    pushed: { deal: DigestDeal; from: string | null; to: string | null }[];
    won: DigestDeal[];
    lost: DigestDeal[];
  };
  /** Open warnings and critical findings by rep, largest amount at risk first. */
  risksByRep: {
    rep: string;
    /** Sum of the rep's risky deals in the reporting currency (deals without a rate left out). */
    atRisk: number;
    dealCount: number;
    /** The largest few. */
    deals: { deal: DigestDeal; severity: Severity; ruleIds: string[] }[];
  }[];
  /** One line for each rep the coaching report flags (effort or skill gap). */
  coaching: { rep: string; line: string }[];
  /** The connection's pages in the web app; null without a public URL. */
  links: { deals: string; forecast: string; changes: string } | null;
}

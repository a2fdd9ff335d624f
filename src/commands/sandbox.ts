/**
 * `dealwatch sandbox`: runs the built-in Salesforce/HubSpot simulator until stopped. With `--json`
 * stdout carries exactly one JSON line (URLs and credentials) once it is ready; logs go to stderr.
 */
import { pino } from 'pino';
import { ConfigError } from '../domain/errors.js';
import { createLogger } from '../logger.js';
import { parseFaultSpec, startSandbox, type Sandbox } from '../sandbox/index.js';
import type { SandboxOptions } from './types.js';

/** `--sales-floor` without a value: one stage move every 10 seconds. */
export const DEFAULT_SALES_FLOOR_EVENTS_PER_MINUTE = 6;
/** At most 100 moves a second: beyond that it is a load test, not a sales floor. */
const MAX_SALES_FLOOR_EVENTS_PER_MINUTE = 6000;

/** The sandbox command's options: the shared ones plus `--sales-floor [eventsPerMinute]`. */
export type SandboxCommandOptions = SandboxOptions & {
  /** `true` when given without a value; a number of stage moves per minute otherwise. */
  salesFloor?: boolean | number | string | undefined;
};

/**
 * `--sales-floor [eventsPerMinute]` to the sandbox's background sales floor (one random open deal
 * moved a stage forward per event); `undefined` when the flag is absent.
 */
export function salesFloorFrom(value: SandboxCommandOptions['salesFloor']): { intervalMs: number } | undefined {
  if (value === undefined || value === false) return undefined;
  const perMinute = value === true ? DEFAULT_SALES_FLOOR_EVENTS_PER_MINUTE : Number(value);
  if (!Number.isFinite(perMinute) || perMinute <= 0 || perMinute > MAX_SALES_FLOOR_EVENTS_PER_MINUTE) {
    throw new ConfigError([`--sales-floor: events per minute must be a number above 0 and at most ${MAX_SALES_FLOOR_EVENTS_PER_MINUTE}`]);
  }
  return { intervalMs: Math.max(1, Math.round(60_000 / perMinute)) };
}

/** `--seed` is text: a number is used as is, anything else is hashed to one. */
export function seedFrom(text: string | undefined): number {
  if (text === undefined) return 1;
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** The one line `--json` prints: what scripts need to drive the sandbox. */
export function readyLine(sandbox: Sandbox): string {
  const { hubspot: h, salesforce: s } = sandbox;
  return JSON.stringify({
    hubspot: { baseUrl: h.baseUrl, accessToken: h.accessToken, webhookSecret: h.webhookSecret, portalId: h.portalId, appId: h.appId },
    salesforce: {
      instanceUrl: s.instanceUrl,
      loginUrl: s.loginUrl,
      apiVersion: s.apiVersion,
      accessToken: s.accessToken,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      refreshToken: s.refreshToken,
      organizationId: s.organizationId,
      username: s.username,
    },
    admin: sandbox.adminUrl,
  });
}

export async function run(options: SandboxCommandOptions): Promise<number> {
  const logger = createLogger({ destination: pino.destination({ dest: 2, sync: true }), pretty: process.stderr.isTTY === true }).child({
    module: 'sandbox',
  });
  let faults;
  try {
    faults = options.faults ? parseFaultSpec(options.faults) : undefined;
  } catch (err) {
    throw new ConfigError([`--faults: ${(err as Error).message}`]);
  }
  if (options.deals !== undefined && options.deals < 1) throw new ConfigError(['--deals: must be at least 1']);
  const salesFloor = salesFloorFrom(options.salesFloor);
  const sandbox = await startSandbox({
    ...(options.port !== undefined ? { port: options.port } : {}),
    seed: seedFrom(options.seed),
    ...(options.deals !== undefined ? { deals: options.deals } : {}),
    rateLimit: options.rateLimit,
    ...(options.latency !== undefined ? { latencyMs: options.latency } : {}),
    ...(options.webhookUrl !== undefined ? { webhookUrl: options.webhookUrl } : {}),
    ...(faults ? { faults } : {}),
    ...(salesFloor ? { salesFloor } : {}),
    logger,
  });
  if (salesFloor)
    logger.info({ intervalMs: salesFloor.intervalMs }, 'sales floor: moving a random open deal one stage forward per interval');
  if (options.json) {
    process.stdout.write(`${readyLine(sandbox)}\n`);
  } else {
    const { hubspot: h, salesforce: s } = sandbox;
    process.stdout.write(
      [
        'dealwatch sandbox is running (Ctrl-C to stop)',
        '',
        `HubSpot    basePath      ${h.baseUrl}`,
        `           accessToken   ${h.accessToken}`,
        `           webhookSecret ${h.webhookSecret}  portalId ${h.portalId}  appId ${h.appId}`,
        `Salesforce instanceUrl   ${s.instanceUrl}  (loginUrl ${s.loginUrl}, API v${s.apiVersion})`,
        `           accessToken   ${s.accessToken}`,
        `           clientId      ${s.clientId}`,
        `           clientSecret  ${s.clientSecret}`,
        `           refreshToken  ${s.refreshToken}`,
        `           username      ${s.username}  organizationId ${s.organizationId}`,
        `Admin      ${sandbox.adminUrl}  (calls, counters, annotations, planted, faults, clock)`,
        ...(salesFloor ? [`Sales floor one stage move every ${salesFloor.intervalMs} ms`] : []),
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('stopping');
  await sandbox.close();
  return 0;
}

/**
 * `dealwatch digest <connection> [--team T] [--send] [--json]`: the digest the schedule would send
 * now, printed as text (or one JSON line `{subject, text, html, slack}`), or sent now on the
 * channels of the configured digest, recorded in the send ledger like a scheduled one.
 */
import type { Config } from '../config.js';
import { effectiveTimeZone } from '../domain/time.js';
import { digestIdOf, type DigestSettings } from '../domain/model/index.js';
import { composeDigest } from '../digest/compose.js';
import { deliverDigest } from '../digest/deliver.js';
import { gatherDigest } from '../digest/gather.js';
import { processMetrics } from '../metrics.js';
import { createReviewService } from '../server/review-service.js';
import { connectionDirectory, publicUrlOf } from './support.js';
import { commandLogger, configFrom, storeFrom } from './support.js';
import type { DigestOptions } from './types.js';

/** The CLI's exit codes (src/cli.ts; importing it from a command would cycle through its entry point). */
const EXIT = { ok: 0, invalidConfig: 2 } as const;

export async function run(
  options: DigestOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const config = configFrom(options);
  const connections = connectionDirectory(config);
  const settings = connections.get(options.connection);
  if (settings === undefined) {
    const known = config.connections.map((c) => c.id).join(', ') || 'none';
    err.write(`error: no connection "${options.connection}" in the configuration (known: ${known})\n`);
    return EXIT.invalidConfig;
  }
  if (options.team !== undefined && settings.teams !== undefined && !(options.team in settings.teams)) {
    err.write(`error: no team "${options.team}" in connection "${settings.id}" (teams: ${Object.keys(settings.teams).join(', ')})\n`);
    return EXIT.invalidConfig;
  }
  const configured = configuredDigest(config, settings.id, options.team);
  if (options.send && configured === undefined) {
    const which = options.team === undefined ? ' without a team' : ` and team "${options.team}"`;
    err.write(`error: no digest for connection "${settings.id}"${which} in the configuration (digests): nowhere to send it\n`);
    return EXIT.invalidConfig;
  }
  const digest: DigestSettings = configured ?? {
    connection: settings.id,
    ...(options.team === undefined ? {} : { team: options.team }),
    cron: '',
    timezone: effectiveTimeZone(settings),
  };

  const logger = commandLogger(config);
  const store = await storeFrom(config, logger);
  try {
    const deps = { store, reviews: createReviewService({ store, connections }), publicUrl: publicUrlOf(config) };
    const now = new Date();
    if (options.send) {
      const result = await deliverDigest(
        {
          ...deps,
          smtpUrl: config.smtpUrl,
          digestFrom: config.digestFrom,
          metrics: processMetrics(),
          logger: logger.child({ module: 'digest' }),
        },
        settings,
        digest,
        now,
      );
      const skipped = result.skipped.length > 0 ? ` (already sent: ${result.skipped.join(', ')})` : '';
      out.write(
        options.json
          ? `${JSON.stringify(result)}\n`
          : `digest "${result.digestId}" sent on ${result.sent.join(', ') || 'no channel'}${skipped}\n`,
      );
      return EXIT.ok;
    }
    const composed = composeDigest(await gatherDigest(deps, settings, digest, now));
    out.write(options.json ? `${JSON.stringify(composed)}\n` : composed.text);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** The configured digest of a connection and team (none given: the one without a team). */
function configuredDigest(config: Pick<Config, 'digests'>, connectionId: string, team: string | undefined): DigestSettings | undefined {
  const matches = config.digests.filter((d) => d.connection === connectionId && d.team === team);
  return matches.find((d) => digestIdOf(d) === digestIdOf({ connection: connectionId, team })) ?? matches[0];
}

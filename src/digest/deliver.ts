/**
 * Sends one digest tick on its channels, once.
 *
 * The send ledger (store `digestSends`) records each channel after the channel's send succeeded.
 * A retry of the tick (a failed channel, a worker that crashed mid-job and whose job another
 * worker takes over) reads the ledger first and sends only the channels not recorded: a channel
 * that went out is not sent again, a channel that failed is sent on the next attempt. This is
 * at-least-once per channel, not exactly-once: neither an SMTP server nor a Slack webhook takes
 * part in our transaction, so a crash in the instant between the server's acceptance and the
 * ledger write sends that one channel again. Recording before sending would turn that window into
 * a lost digest instead, which a manager notices less and minds more. The mail keeps one
 * Message-ID per tick, so such a repeat is recognisable.
 */
import { ConfigError, DigestSendError } from '../domain/errors.js';
import type { ConnectionSettings, DigestChannel, DigestSettings } from '../domain/model/index.js';
import { DIGEST_CHANNELS, digestIdOf } from '../domain/model/index.js';
import type { PipelineMetrics } from '../metrics.js';
import { mailSender, slackSender, type ChannelSender } from './channels.js';
import { composeDigest } from './compose.js';
import { gatherDigest, type GatherDeps } from './gather.js';

export interface DeliverDeps extends GatherDeps {
  /** `SMTP_URL`; required by digests with `email`. */
  smtpUrl: string | undefined;
  /** `DIGEST_FROM`. */
  digestFrom: string;
  metrics: Pick<PipelineMetrics, 'digestSends'>;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface DeliveryResult {
  digestId: string;
  tick: string;
  subject: string | null;
  /** Channels sent by this attempt. */
  sent: DigestChannel[];
  /** Channels an earlier attempt of the same tick had sent. */
  skipped: DigestChannel[];
}

/** The channels a digest is configured for. */
export function channelsOf(digest: Pick<DigestSettings, 'email' | 'slack'>): DigestChannel[] {
  return DIGEST_CHANNELS.filter((channel) => digest[channel] !== undefined);
}

/** Sends the digest of `tick` on every configured channel not yet recorded as sent for it. */
export async function deliverDigest(
  deps: DeliverDeps,
  settings: ConnectionSettings,
  digest: DigestSettings,
  tick: Date,
): Promise<DeliveryResult> {
  const digestId = digestIdOf(digest);
  const tickIso = tick.toISOString();
  const log = { digest: digestId, connection: settings.id, tick: tickIso };
  const already = new Set(await deps.store.digestSends.sentChannels(digestId, tickIso));
  const skipped = channelsOf(digest).filter((channel) => already.has(channel));
  const todo = channelsOf(digest).filter((channel) => !already.has(channel));
  for (const channel of skipped) deps.metrics.digestSends.inc({ channel, outcome: 'skipped' });
  if (todo.length === 0) {
    deps.logger.info({ ...log, skipped }, 'digest already sent for this tick');
    return { digestId, tick: tickIso, subject: null, sent: [], skipped };
  }
  if (todo.includes('email') && deps.smtpUrl === undefined) {
    throw new ConfigError([`SMTP_URL: not set, and digest "${digestId}" is mailed (digests[].email)`]);
  }

  const digestText = composeDigest(await gatherDigest(deps, settings, digest, tick));
  const message = { id: `digest.${digestId}.${tick.getTime()}`, tick: tickIso };
  const closers: (() => void)[] = [];
  const senderOf = (channel: DigestChannel): ChannelSender => {
    if (channel === 'slack') return slackSender(digest.slack!.webhookUrl);
    const mail = mailSender(deps.smtpUrl!, deps.digestFrom, digest.email!.to);
    closers.push(mail.close);
    return mail.send;
  };
  const sent: DigestChannel[] = [];
  const failures: { channel: DigestChannel; reason: string }[] = [];
  try {
    for (const channel of todo) {
      try {
        await senderOf(channel)(digestText, message);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        deps.metrics.digestSends.inc({ channel, outcome: 'failed' });
        deps.logger.warn({ ...log, channel, reason }, 'digest not sent on this channel: retried with backoff');
        failures.push({ channel, reason });
        continue;
      }
      deps.metrics.digestSends.inc({ channel, outcome: 'sent' });
      // A failure here fails the job: its retry sends this channel again (at least once, see above).
      await deps.store.digestSends.recordSent({
        digestId,
        tick: tickIso,
        channel,
        connectionId: settings.id,
        sentAt: new Date().toISOString(),
      });
      sent.push(channel);
      deps.logger.info({ ...log, channel }, 'digest sent');
    }
  } finally {
    for (const close of closers) close();
  }
  if (failures.length > 0) throw new DigestSendError(digestId, failures);
  return { digestId, tick: tickIso, subject: digestText.subject, sent, skipped };
}

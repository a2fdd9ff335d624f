/**
 * The two ways a digest goes out: mail through nodemailer on `SMTP_URL` (`smtp://` upgrades with
 * STARTTLS when the server offers it, `smtps://` is TLS from the first byte), and Slack through an
 * incoming webhook (@slack/webhook). Errors come back as one line saying what failed, never with
 * the SMTP credentials or the webhook URL (both are secrets).
 */
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import nodemailer from 'nodemailer';
import type { DigestChannel } from '../domain/model/index.js';
import type { Digest } from './compose.js';

/** Sends one digest on one channel; rejects with an error whose message is safe to log. */
export type ChannelSender = (digest: Digest, message: { id: string; tick: string }) => Promise<void>;

/** A mail sender for recipients `to`, from `from`, through the SMTP server of `smtpUrl`. */
export function mailSender(smtpUrl: string, from: string, to: readonly string[]): { send: ChannelSender; close(): void } {
  const transport = nodemailer.createTransport(smtpUrl);
  const secrets = secretsOfUrl(smtpUrl);
  return {
    async send(digest, message) {
      try {
        await transport.sendMail({
          from,
          to: [...to],
          subject: digest.subject,
          text: digest.text,
          html: digest.html,
          // The same tick always has the same Message-ID, so a mail client can tell a resend apart.
          messageId: `<${message.id}@dealwatch>`,
          headers: { 'X-Dealwatch-Digest': message.id },
        });
      } catch (error) {
        const e = error as { code?: string; responseCode?: number; message?: string };
        const detail = [e.code, e.responseCode].filter((x) => x !== undefined).join(' ');
        throw new Error(scrub(`mail not accepted${detail ? ` (${detail})` : ''}: ${e.message ?? String(error)}`, secrets));
      }
    },
    close: () => transport.close(),
  };
}

/** A Slack sender posting Block Kit to the incoming webhook `webhookUrl`. */
export function slackSender(webhookUrl: string, timeoutMs = 10_000): ChannelSender {
  const webhook = new IncomingWebhook(webhookUrl, { timeout: timeoutMs });
  const secrets = [webhookUrl, ...secretsOfUrl(webhookUrl)];
  return async (digest) => {
    try {
      await webhook.send({ text: digest.slack.text, blocks: digest.slack.blocks, unfurl_links: false });
    } catch (error) {
      if (error instanceof IncomingWebhookHTTPError) throw new Error(`Slack webhook answered ${error.statusCode}`);
      const cause = error instanceof IncomingWebhookRequestError ? error.original : error;
      const code = (cause as { code?: string }).code;
      throw new Error(scrub(`Slack webhook not reached${code ? ` (${code})` : ''}: ${(cause as Error).message ?? String(cause)}`, secrets));
    }
  };
}

/** The parts of a URL that must not be shown: its password, user and path (a webhook's path is its key). */
function secretsOfUrl(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [
      parsed.password,
      decodeURIComponent(parsed.password),
      parsed.username,
      parsed.pathname.length > 1 ? parsed.pathname : '',
    ].filter((s) => s.length > 0);
  } catch {
    return [url];
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

export type ChannelSenders = Partial<Record<DigestChannel, ChannelSender>>;

import { z } from 'zod';

/**
 * A scheduled digest: the morning review of one connection (or one of its teams) pushed by email,
 * Slack or both on a cron schedule in a time zone. `id` tells two digests of the same connection
 * and team apart; it names the digest's scheduler and its send ledger rows.
 */
export const DigestSettings = z
  .object({
    /** Defaults to the connection id, or `<connection>.<team>`. */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lowercase letters, digits, -, _ and . (max 63)')
      .optional(),
    /** Id of a configured connection. */
    connection: z.string().min(1),
    /** A team of the connection (`teams`); only its reps' deals and numbers. */
    team: z.string().min(1).optional(),
    /** When to send, e.g. `30 7 * * 1-5`. */
    cron: z.string().min(1),
    /** IANA time zone the cron is read in. @defaultValue "UTC" */
    timezone: z.string().min(1).default('UTC'),
    email: z
      .object({ to: z.array(z.email()).min(1) })
      .strict()
      .optional(),
    /** Slack incoming webhook; put the URL in the environment (`"env:NAME"`): it is a secret. */
    slack: z
      .object({ webhookUrl: z.url({ protocol: /^https?$/ }) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((digest, ctx) => {
    if (digest.email === undefined && digest.slack === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: 'set email ({ "to": [...] }), slack ({ "webhookUrl": "env:NAME" }) or both',
      });
    }
  });
export type DigestSettings = z.infer<typeof DigestSettings>;

/** The id a digest goes by: its own, else its connection and team. */
export function digestIdOf(digest: Pick<DigestSettings, 'id' | 'connection' | 'team'>): string {
  if (digest.id !== undefined) return digest.id;
  return digest.team === undefined ? digest.connection : `${digest.connection}.${digest.team.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;
}

/** The channels a digest goes out on. */
export const DIGEST_CHANNELS = ['email', 'slack'] as const;
export type DigestChannel = (typeof DIGEST_CHANNELS)[number];

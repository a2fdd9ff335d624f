import { z } from 'zod';
import { IsoDateTime } from './primitives.js';

export const ActivityType = z.enum(['call', 'email', 'meeting', 'note', 'task']);
export type ActivityType = z.infer<typeof ActivityType>;
export const ActivityDirection = z.enum(['inbound', 'outbound', 'unknown']);
export type ActivityDirection = z.infer<typeof ActivityDirection>;

/** A call, email, meeting, note or task, linked to zero or more deals. */
export const Activity = z.object({
  connectionId: z.string().min(1),
  externalId: z.string().min(1),
  type: ActivityType,
  direction: ActivityDirection,
  /** When it happened; for tasks, the due date (HubSpot hs_timestamp, Salesforce ActivityDate). */
  occurredAt: IsoDateTime,
  ownerId: z.string().nullable(),
  /** External ids of the deals this activity is linked to. */
  dealIds: z.array(z.string()),
  /** Tasks: done. Other types: true once they happened (a meeting in the future is not completed). */
  completed: z.boolean(),
  subject: z.string().nullable(),
  /** `dealwatch` when this note/task is one of our own annotations (never counts as rep activity). */
  origin: z.enum(['crm', 'dealwatch']),
  modifiedAt: IsoDateTime,
  isDeleted: z.boolean(),
});
export type Activity = z.infer<typeof Activity>;

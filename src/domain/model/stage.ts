import { z } from 'zod';

/** A deal stage of one pipeline, with the CRM's own probability and closed/won flags. */
export const Stage = z.object({
  connectionId: z.string().min(1),
  /** Pipeline id (`default` for Salesforce, which has one opportunity stage list). */
  pipeline: z.string().min(1),
  /** Stage id: HubSpot stage id; Salesforce StageName (the API value). */
  id: z.string().min(1),
  label: z.string(),
  /** 0-based position within its pipeline. */
  order: z.number().int().nonnegative(),
  /** 0..1 */
  probability: z.number().min(0).max(1),
  isClosed: z.boolean(),
  isWon: z.boolean(),
});
export type Stage = z.infer<typeof Stage>;

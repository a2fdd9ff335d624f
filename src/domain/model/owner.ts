import { z } from 'zod';

/** A sales rep (CRM user / owner). */
export const Owner = z.object({
  connectionId: z.string().min(1),
  externalId: z.string().min(1),
  name: z.string(),
  email: z.string().nullable(),
  /** Team name: from config (`teams`) or the CRM's team/role when mapped. */
  team: z.string().nullable(),
  active: z.boolean(),
  /** The rep's manager (a CRM user id) where the CRM records one (Salesforce `User.ManagerId`). */
  managerId: z.string().nullable().optional(),
});
export type Owner = z.infer<typeof Owner>;

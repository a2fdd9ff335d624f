/**
 * Raw HubSpot shapes as they arrive (after the SDK's deserializer, which turns documented date fields
 * into Date objects). Every field is nullish: a missing field is mapped, never a crash mid-sync.
 */
import { z } from 'zod';

/** An instant the SDK gives as a Date, or a raw ISO string (sandbox/raw JSON), as ISO text. */
const Instant = z.union([z.date(), z.string()]).transform((value) => (value instanceof Date ? value.toISOString() : value));
const Id = z.union([z.string(), z.number()]).transform(String);

export const Paging = z.object({ next: z.object({ after: z.string().nullish(), link: z.string().nullish() }).nullish() }).nullish();

export const AssociatedIds = z.object({
  results: z.array(z.object({ id: Id, type: z.string().nullish() })).nullish(),
  paging: Paging,
});

/**
 * SimplePublicObjectWithAssociations:
 * https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType
 */
export const RawObject = z.object({
  id: Id,
  properties: z.record(z.string(), z.string().nullish()).nullish(),
  createdAt: Instant.nullish(),
  updatedAt: Instant.nullish(),
  archived: z.boolean().nullish(),
  archivedAt: Instant.nullish(),
  associations: z.record(z.string(), AssociatedIds).nullish(),
  objectWriteTraceId: z.string().nullish(),
  propertiesWithHistory: z
    .record(z.string(), z.array(z.object({ value: z.string().nullish(), timestamp: Instant.nullish(), sourceType: z.string().nullish() })))
    .nullish(),
});
export type RawObject = z.infer<typeof RawObject>;

export const ListResponse = z.object({ results: z.array(RawObject).nullish(), paging: Paging });
export type ListResponse = z.infer<typeof ListResponse>;

export const SearchResponse = z.object({ total: z.number().nullish(), results: z.array(RawObject).nullish(), paging: Paging });
export type SearchResponse = z.infer<typeof SearchResponse>;

/** https://developers.hubspot.com/docs/api-reference/crm-objects-v3/batch/post-crm-v3-objects-objectType-batch-update (200 / 207) */
export const BatchError = z.object({
  id: z.string().nullish(),
  status: z.string().nullish(),
  category: z.string().nullish(),
  subCategory: z.unknown().nullish(),
  message: z.string().nullish(),
  context: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
});
export type BatchError = z.infer<typeof BatchError>;

export const BatchResponse = z.object({
  status: z.string().nullish(),
  results: z.array(RawObject).nullish(),
  errors: z.array(BatchError).nullish(),
  numErrors: z.number().nullish(),
});
export type BatchResponse = z.infer<typeof BatchResponse>;

/**
 * POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read:
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations
 */
export const AssociationBatchResponse = z.object({
  results: z
    .array(
      z.object({
        // The SDK renames `from` to `_from`; raw JSON keeps `from`.
        _from: z.object({ id: Id }).nullish(),
        from: z.object({ id: Id }).nullish(),
        to: z
          .array(
            z.object({
              toObjectId: Id,
              associationTypes: z
                .array(z.object({ category: z.string().nullish(), typeId: z.number().nullish(), label: z.string().nullish() }))
                .nullish(),
            }),
          )
          .nullish(),
        paging: Paging,
      }),
    )
    .nullish(),
  errors: z.array(BatchError).nullish(),
});
export type AssociationBatchResponse = z.infer<typeof AssociationBatchResponse>;

/** https://developers.hubspot.com/docs/api-reference/crm-pipelines-v3/pipelines/get-crm-v3-pipelines-objectType */
export const RawStage = z.object({
  id: z.string(),
  label: z.string().nullish(),
  displayOrder: z.number().nullish(),
  archived: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string().nullish()).nullish(),
});
export type RawStage = z.infer<typeof RawStage>;

export const RawPipeline = z.object({
  id: z.string(),
  label: z.string().nullish(),
  displayOrder: z.number().nullish(),
  archived: z.boolean().nullish(),
  stages: z.array(RawStage).nullish(),
});
export type RawPipeline = z.infer<typeof RawPipeline>;

export const PipelinesResponse = z.object({ results: z.array(RawPipeline).nullish() });

/** https://developers.hubspot.com/docs/api-reference/crm-owners-v3/owners/get-crm-v3-owners */
export const RawOwner = z.object({
  id: Id,
  email: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  archived: z.boolean().nullish(),
  userId: z.number().nullish(),
  teams: z.array(z.object({ id: Id.nullish(), name: z.string().nullish(), primary: z.boolean().nullish() })).nullish(),
});
export type RawOwner = z.infer<typeof RawOwner>;

export const OwnersResponse = z.object({ results: z.array(RawOwner).nullish(), paging: Paging });

/** https://developers.hubspot.com/docs/api-reference/crm-properties-v3/core/get-crm-v3-properties-objectType */
export const RawProperty = z.object({
  name: z.string(),
  type: z.string().nullish(),
  fieldType: z.string().nullish(),
  archived: z.boolean().nullish(),
  modificationMetadata: z.object({ readOnlyValue: z.boolean().nullish() }).nullish(),
});
export const PropertiesResponse = z.object({ results: z.array(RawProperty).nullish() });

/**
 * One event of the POSTed JSON array, legacy (`deal.propertyChange`) or generic (`object.propertyChange`
 * with `objectTypeId`): https://developers.hubspot.com/docs/api/webhooks and
 * https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
 */
export const RawWebhookEvent = z.object({
  eventId: Id.nullish(),
  subscriptionId: Id.nullish(),
  portalId: Id.nullish(),
  appId: Id.nullish(),
  occurredAt: z.union([z.number(), z.string()]).nullish(),
  subscriptionType: z.string().nullish(),
  eventType: z.string().nullish(),
  attemptNumber: z.number().nullish(),
  objectId: Id.nullish(),
  propertyName: z.string().nullish(),
  propertyValue: z.string().nullish(),
  changeSource: z.string().nullish(),
  sourceId: z.string().nullish(),
  /** Generic (`object.*`) events: the object type, `0-3` for deals. */
  objectTypeId: z.string().nullish(),
  /** Merge events. */
  primaryObjectId: Id.nullish(),
  mergedObjectIds: z.array(Id).nullish(),
  newObjectId: Id.nullish(),
  /** Association change events (no objectId). */
  fromObjectTypeId: z.string().nullish(),
  toObjectTypeId: z.string().nullish(),
  fromObjectId: Id.nullish(),
  toObjectId: Id.nullish(),
  associationType: z.string().nullish(),
});
export type RawWebhookEvent = z.infer<typeof RawWebhookEvent>;
export const RawWebhookBatch = z.array(RawWebhookEvent);

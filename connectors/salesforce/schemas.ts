/**
 * Raw Salesforce records as the REST API (JSON) and Bulk API 2.0 (CSV: every value a string, '' for
 * null) return them. Fields are nullish: a field missing from a query or hidden by field-level
 * security must not fail the sync. https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
 */
import { z } from 'zod';

const blankToNull = (v: unknown): unknown => (v === '' ? null : v);
const str = z.preprocess(blankToNull, z.string().nullish());
const num = z.preprocess((v) => (v === '' ? null : typeof v === 'string' ? Number(v) : v), z.number().nullish());
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : blankToNull(v)), z.boolean().nullish());
/** OldValue/NewValue of field history are anyType: string, number, boolean or null. */
const anyValue = z.preprocess(blankToNull, z.union([z.string(), z.number(), z.boolean()]).nullish());

/** `(SELECT Id FROM OpportunityContactRoles)`: only totalSize is used. */
const ChildCount = z.object({ totalSize: z.number() }).nullish();

/** A checkbox read through a relationship (REST: boolean; Bulk CSV: 'true'/'false'/''). */
export const Checkbox = bool;

export const RawOpportunity = z.looseObject({
  Id: z.string(),
  Name: str,
  StageName: str,
  Amount: num,
  CurrencyIsoCode: str,
  CloseDate: str,
  Probability: num,
  ForecastCategoryName: str,
  NextStep: str,
  OwnerId: str,
  AccountId: str,
  /** Loose: carries the configured target-account checkbox (`Account.<fieldMap.targetAccount>`) too. */
  Account: z.looseObject({ Name: str }).nullish(),
  LeadSource: str,
  IsClosed: bool,
  IsWon: bool,
  IsDeleted: bool,
  CreatedDate: str,
  SystemModstamp: z.string(),
  LastStageChangeDate: str,
  OpportunityContactRoles: ChildCount,
});
export type RawOpportunity = z.infer<typeof RawOpportunity>;

const RawActivityBase = {
  Id: z.string(),
  WhatId: str,
  OwnerId: str,
  Subject: str,
  Description: str,
  ActivityDate: str,
  IsDeleted: bool,
  CreatedDate: str,
  SystemModstamp: z.string(),
};

export const RawTask = z.looseObject({
  ...RawActivityBase,
  TaskSubtype: str,
  Status: str,
  IsClosed: bool,
  CallType: str,
});
export type RawTask = z.infer<typeof RawTask>;

export const RawEvent = z.looseObject({
  ...RawActivityBase,
  ActivityDateTime: str,
  StartDateTime: str,
  EventSubtype: str,
});
export type RawEvent = z.infer<typeof RawEvent>;

export const RawOpportunityStage = z.looseObject({
  Id: z.string(),
  ApiName: str,
  MasterLabel: str,
  SortOrder: num,
  DefaultProbability: num,
  IsClosed: bool,
  IsWon: bool,
  IsActive: bool,
});
export type RawOpportunityStage = z.infer<typeof RawOpportunityStage>;

export const RawUser = z.looseObject({
  Id: z.string(),
  Name: str,
  Email: str,
  IsActive: bool,
  ManagerId: str,
  UserRole: z.object({ Name: str }).nullish(),
});
export type RawUser = z.infer<typeof RawUser>;

export const RawOpportunityHistory = z.looseObject({
  Id: z.string(),
  OpportunityId: z.string(),
  StageName: str,
  Amount: num,
  CloseDate: str,
  CreatedDate: z.string(),
});
export type RawOpportunityHistory = z.infer<typeof RawOpportunityHistory>;

export const RawOpportunityFieldHistory = z.looseObject({
  Id: z.string(),
  OpportunityId: z.string(),
  Field: str,
  OldValue: anyValue,
  NewValue: anyValue,
  CreatedDate: z.string(),
});
export type RawOpportunityFieldHistory = z.infer<typeof RawOpportunityFieldHistory>;

/** GET /query and /queryAll answer. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm */
export const QueryResult = z.object({
  totalSize: z.number(),
  done: z.boolean(),
  nextRecordsUrl: z.string().nullish(),
  records: z.array(z.unknown()),
});
export type QueryResult = z.infer<typeof QueryResult>;

/**
 * One sObject Collections result.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
 */
export const SaveResult = z.object({
  id: z.string().nullish(),
  success: z.boolean(),
  errors: z
    .array(z.object({ statusCode: z.string().nullish(), message: z.string().nullish(), fields: z.array(z.string()).nullish() }))
    .default([]),
});
export const SaveResults = z.array(SaveResult);
export type SaveResult = z.infer<typeof SaveResult>;

/**
 * Subset of GET /sobjects/{type}/describe.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
 */
export const DescribeResult = z.looseObject({
  name: z.string(),
  createable: z.boolean().nullish(),
  fields: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string().nullish(),
      updateable: z.boolean().nullish(),
      createable: z.boolean().nullish(),
      filterable: z.boolean().nullish(),
    }),
  ),
  childRelationships: z.array(z.looseObject({ relationshipName: z.string().nullish(), childSObject: z.string().nullish() })).nullish(),
});
export type DescribeResult = z.infer<typeof DescribeResult>;

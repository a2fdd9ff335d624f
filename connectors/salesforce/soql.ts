/**
 * SOQL text. Values are quoted here and nowhere else.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm
 */
import type { SyncCursor } from '../../src/domain/model/index.js';

/** Escapes a string literal for SOQL (backslash and single quote). */
export const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Escapes a LIKE pattern fragment: `%` and `_` are wildcards, the rest is quoted as usual. */
export const likeFragment = (value: string): string =>
  value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/([%_])/g, '\\$1');

/**
 * SOQL dateTime literal, floored to the second (`2026-11-26T09:00:00Z`): flooring only widens an
 * inclusive lower bound.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm
 */
export function soqlDateTime(iso: string): string {
  return `${new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Inclusive lower bound of an incremental pull: the cursor's stamp minus the look-back window. */
export function lowerBound(since: SyncCursor | null, lookbackMinutes: number): string | null {
  if (!since) return null;
  return new Date(Date.parse(since.stamp) - lookbackMinutes * 60_000).toISOString();
}

/** `SELECT fields FROM object [WHERE stamp >= from [AND extra]] ORDER BY stamp, Id`. */
export function changedSince(
  object: string,
  fields: readonly string[],
  stampField: string,
  from: string | null,
  extraWhere?: string,
): string {
  const where = [from ? `${stampField} >= ${soqlDateTime(from)}` : null, extraWhere ?? null].filter((c): c is string => c !== null);
  return `SELECT ${fields.join(', ')} FROM ${object}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${stampField}, Id`;
}

export const OPPORTUNITY_BASE_FIELDS = [
  'Id',
  'Name',
  'StageName',
  'Amount',
  'CloseDate',
  'Probability',
  'ForecastCategoryName',
  'NextStep',
  'OwnerId',
  'AccountId',
  'Account.Name',
  'LeadSource',
  'IsClosed',
  'IsWon',
  'IsDeleted',
  'CreatedDate',
  'SystemModstamp',
] as const;

/** Fields read only when describe shows them (multi-currency orgs, newer API versions, custom fields). */
export const OPPORTUNITY_OPTIONAL_FIELDS = ['CurrencyIsoCode', 'LastStageChangeDate'] as const;

export const CONTACT_ROLES_SUBQUERY = '(SELECT Id FROM OpportunityContactRoles)';

/** Description (long text) is left out: it shrinks query batches, and our Tasks are recognised by Subject. */
export const TASK_FIELDS = [
  'Id',
  'WhatId',
  'OwnerId',
  'Subject',
  'ActivityDate',
  'TaskSubtype',
  'Status',
  'IsClosed',
  'CallType',
  'IsDeleted',
  'CreatedDate',
  'SystemModstamp',
] as const;

export const EVENT_FIELDS = [
  'Id',
  'WhatId',
  'OwnerId',
  'Subject',
  'ActivityDate',
  'ActivityDateTime',
  'IsDeleted',
  'CreatedDate',
  'SystemModstamp',
] as const;

export const OPPORTUNITY_HISTORY_FIELDS = ['Id', 'OpportunityId', 'StageName', 'Amount', 'CloseDate', 'CreatedDate'] as const;
export const FIELD_HISTORY_FIELDS = ['Id', 'OpportunityId', 'Field', 'OldValue', 'NewValue', 'CreatedDate'] as const;
export const FIELD_HISTORY_FILTER = "Field IN ('CloseDate', 'Amount')";

export const STAGE_SOQL =
  'SELECT Id, ApiName, MasterLabel, SortOrder, DefaultProbability, IsClosed, IsWon, IsActive FROM OpportunityStage ORDER BY SortOrder';
/**
 * Standard users only, so that owners are people: the Automated Process user, Chatter, guest,
 * portal and partner users (other UserType values) own no pipeline. ManagerId (a User lookup) is
 * who a rep's discount approvals go to when no approver is configured.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm
 */
export const USER_SOQL = "SELECT Id, Name, Email, IsActive, ManagerId FROM User WHERE UserType = 'Standard' ORDER BY Id";

/** Splits a list for IN (...) clauses; 200 ids keep a GET query URL far below its length limit. */

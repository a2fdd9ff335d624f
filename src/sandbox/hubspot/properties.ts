/**
 * HubSpot property model of the sandbox: the property definitions `GET /crm/v3/properties/deals`
 * lists, and how each property's value is read from the book (values are strings, as HubSpot
 * returns them; datetimes as ISO-8601 strings in UTC).
 */
import type { BookStore } from '../book-store.js';
import type { Activity, ActivityKind, Deal } from '../generator/book.js';

export const HUBSPOT_OBJECT_TYPES = ['deals', 'calls', 'emails', 'meetings', 'notes', 'tasks'] as const;
export type HubSpotObjectType = (typeof HUBSPOT_OBJECT_TYPES)[number];
export const ACTIVITY_KIND_OF: Record<Exclude<HubSpotObjectType, 'deals'>, ActivityKind> = {
  calls: 'call',
  emails: 'email',
  meetings: 'meeting',
  notes: 'note',
  tasks: 'task',
};

export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'datetime' | 'date' | 'enumeration' | 'bool';
  fieldType: string;
  groupName: string;
  description: string;
  options: { label: string; value: string; displayOrder: number; hidden: boolean }[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
  createdAt?: string;
  updatedAt?: string;
}

function def(name: string, type: PropertyDefinition['type'], readOnlyValue: boolean, label = name): PropertyDefinition {
  const fieldType = { string: 'text', number: 'number', datetime: 'date', date: 'date', enumeration: 'select', bool: 'booleancheckbox' }[
    type
  ];
  return {
    name,
    label,
    type,
    fieldType,
    groupName: 'dealinformation',
    description: '',
    options:
      type === 'bool'
        ? [
            { label: 'True', value: 'true', displayOrder: 0, hidden: false },
            { label: 'False', value: 'false', displayOrder: 1, hidden: false },
          ]
        : [],
    displayOrder: -1,
    calculated: readOnlyValue,
    externalOptions: false,
    hasUniqueValue: name === 'hs_object_id',
    hidden: false,
    formField: !readOnlyValue,
    modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue },
  };
}

/** Standard deal properties (names as in HubSpot); writable ones have readOnlyValue false. */
export function standardDealProperties(store: BookStore): PropertyDefinition[] {
  const list: PropertyDefinition[] = [
    def('dealname', 'string', false, 'Deal Name'),
    def('dealstage', 'enumeration', false, 'Deal Stage'),
    def('pipeline', 'enumeration', false, 'Pipeline'),
    def('amount', 'number', false, 'Amount'),
    def('closedate', 'datetime', false, 'Close Date'),
    def('hubspot_owner_id', 'enumeration', false, 'Deal owner'),
    def('hs_next_step', 'string', false, 'Next step'),
    def('hs_analytics_source', 'enumeration', true, 'Original Source Type'),
    def('closed_lost_reason', 'string', false, 'Closed Lost Reason'),
    def('discount_percent', 'number', false, 'Discount (%)'),
    def('dealtype', 'enumeration', false, 'Deal Type'),
    def('createdate', 'datetime', true, 'Create Date'),
    def('hs_lastmodifieddate', 'datetime', true, 'Last Modified Date'),
    def('hs_object_id', 'number', true, 'Record ID'),
    def('hs_is_closed', 'bool', true, 'Is Deal Closed?'),
    def('hs_is_closed_won', 'bool', true, 'Is Closed Won'),
    def('hs_deal_stage_probability', 'number', true, 'Deal probability'),
    def('hs_forecast_probability', 'number', false, 'Forecast probability'),
    def('hs_forecast_category', 'enumeration', false, 'Forecast category'),
    def('notes_last_contacted', 'datetime', true, 'Last Contacted'),
    def('notes_last_updated', 'datetime', true, 'Last Activity Date'),
    def('notes_next_activity_date', 'datetime', true, 'Next Activity Date'),
    def('num_associated_contacts', 'number', true, 'Number of Associated Contacts'),
    def('num_contacted_notes', 'number', true, 'Number of times contacted'),
    def('hs_num_of_associated_line_items', 'number', true, 'Number of associated line items'),
    def('hs_deal_stage_push_count', 'number', true, 'Close date push count'),
    def('associatedcompanyid', 'number', true, 'Associated Company ID'),
  ];
  const stageOptions = store.book.pipelines.flatMap((p) =>
    p.stages.map((s, i) => ({ label: s.label, value: s.id, displayOrder: i, hidden: false })),
  );
  const dealstage = list.find((p) => p.name === 'dealstage');
  if (dealstage) dealstage.options = stageOptions;
  for (const p of store.book.pipelines) {
    for (const s of p.stages) {
      list.push(def(`hs_date_entered_${s.id}`, 'datetime', true, `Date entered "${s.label} (${p.label})"`));
      list.push(def(`hs_date_exited_${s.id}`, 'datetime', true, `Date exited "${s.label} (${p.label})"`));
      list.push(def(`hs_v2_date_entered_${s.id}`, 'datetime', true, `Date entered "${s.label} (${p.label})"`));
      list.push(def(`hs_v2_date_exited_${s.id}`, 'datetime', true, `Date exited "${s.label} (${p.label})"`));
    }
  }
  return list;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Default properties HubSpot returns when none are requested. */
export const DEFAULT_PROPERTIES: Record<HubSpotObjectType, string[]> = {
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  calls: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  emails: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  meetings: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

/** Reads one deal property; `undefined` means the property does not exist on deals. */
export function dealProperty(
  store: BookStore,
  dealIdx: number,
  deal: Deal,
  name: string,
  known: ReadonlySet<string>,
): string | null | undefined {
  const stage = store.stageOf(deal);
  switch (name) {
    case 'dealname':
      return deal.name;
    case 'dealstage':
      return stage.id;
    case 'pipeline':
      return store.pipelineOf(deal).id;
    case 'amount':
      return deal.amount === null ? null : String(deal.amount);
    case 'closedate':
      return iso(deal.closeDate);
    case 'hubspot_owner_id':
      return store.book.reps[deal.owner]?.id ?? null;
    case 'hs_next_step':
      return deal.nextStep;
    case 'hs_analytics_source':
      return deal.leadSource;
    case 'closed_lost_reason':
      return deal.lostReason;
    case 'discount_percent':
      return deal.discount === null ? null : String(deal.discount);
    case 'dealtype':
      return 'newbusiness';
    case 'createdate':
      return iso(deal.createdAt);
    case 'hs_lastmodifieddate':
      return iso(deal.modifiedAt);
    case 'hs_object_id':
      return deal.id;
    case 'hs_is_closed':
      return String(stage.isClosed);
    case 'hs_is_closed_won':
      return String(stage.isWon);
    case 'hs_deal_stage_probability':
    case 'hs_forecast_probability':
      return String(stage.probability);
    case 'hs_forecast_category':
      return stage.forecastCategory.toUpperCase().replace(' ', '_');
    case 'notes_last_contacted':
    case 'notes_last_updated':
      return iso(store.lastActivityAt(dealIdx));
    case 'notes_next_activity_date':
      return iso(store.nextActivityAt(dealIdx));
    case 'num_associated_contacts':
      return String(deal.contactIds.length);
    case 'num_contacted_notes':
      return String(store.activitiesOf(dealIdx).filter((a) => a.kind !== 'task' && a.completed).length);
    case 'hs_num_of_associated_line_items':
      return '0';
    case 'hs_deal_stage_push_count':
      return String(deal.pushCount);
    case 'associatedcompanyid':
      return store.book.accounts[deal.account]?.id ?? null;
    default:
      break;
  }
  const stageDate = /^hs_(?:v2_)?date_(entered|exited)_(.+)$/.exec(name);
  if (stageDate) {
    const [, which, stageId] = stageDate;
    const stages = store.pipelineOf(deal).stages;
    const target = stages.findIndex((s) => s.id === stageId);
    if (target < 0) return store.book.pipelines.some((p) => p.stages.some((s) => s.id === stageId)) ? null : undefined;
    // HubSpot keeps the latest entry into (and exit from) each stage.
    let entered: number | null = null;
    let exited: number | null = null;
    let previous: number | null = null;
    for (const row of store.stageHistoryOf(dealIdx)) {
      if (row.stage === previous) continue;
      if (row.stage === target) entered = row.at;
      else if (previous === target) exited = row.at;
      previous = row.stage;
    }
    return iso(which === 'entered' ? entered : exited);
  }
  if (known.has(name)) {
    const v = deal.custom?.[name];
    return v === undefined || v === null ? null : String(v);
  }
  return undefined;
}

/** Reads one activity property; `undefined` means the property does not exist on that type. */
export function activityProperty(store: BookStore, activity: Activity, name: string): string | null | undefined {
  const common: Record<string, () => string | null> = {
    hs_object_id: () => activity.id,
    hs_createdate: () => iso(activity.createdAt),
    hs_lastmodifieddate: () => iso(activity.modifiedAt),
    hs_timestamp: () => iso(activity.at),
    hubspot_owner_id: () => store.book.reps[activity.owner]?.id ?? null,
  };
  const getter = common[name];
  if (getter) return getter();
  if (activity.custom && name in activity.custom) return activity.custom[name] ?? null;
  switch (activity.kind) {
    case 'call':
      if (name === 'hs_call_title') return activity.subject;
      if (name === 'hs_call_body') return activity.body;
      if (name === 'hs_call_direction') return activity.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND';
      if (name === 'hs_call_status') return activity.completed ? 'COMPLETED' : 'SCHEDULED';
      if (name === 'hs_call_duration') return activity.completed ? String(60_000 * (((activity.at / 60_000) % 30) | 0) + 60_000) : null;
      break;
    case 'email':
      if (name === 'hs_email_subject') return activity.subject;
      if (name === 'hs_email_text') return activity.body;
      if (name === 'hs_email_direction') return activity.direction === 'inbound' ? 'INCOMING_EMAIL' : 'EMAIL';
      if (name === 'hs_email_status') return 'SENT';
      break;
    case 'meeting':
      if (name === 'hs_meeting_title') return activity.subject;
      if (name === 'hs_meeting_body') return activity.body;
      if (name === 'hs_meeting_start_time') return iso(activity.at);
      if (name === 'hs_meeting_end_time') return iso(activity.at + 1_800_000);
      if (name === 'hs_meeting_outcome') return activity.at > store.now() ? 'SCHEDULED' : 'COMPLETED';
      break;
    case 'note':
      if (name === 'hs_note_body') return activity.body ?? activity.subject;
      break;
    case 'task':
      if (name === 'hs_task_subject') return activity.subject;
      if (name === 'hs_task_body') return activity.body;
      if (name === 'hs_task_status') return activity.completed ? 'COMPLETED' : 'NOT_STARTED';
      if (name === 'hs_task_priority') return 'MEDIUM';
      if (name === 'hs_task_type') return 'TODO';
      break;
  }
  return undefined;
}

/** Properties that can be written on activities when creating them. */
export const WRITABLE_ACTIVITY_PROPERTIES: Record<ActivityKind, readonly string[]> = {
  call: ['hs_timestamp', 'hubspot_owner_id', 'hs_call_title', 'hs_call_body', 'hs_call_direction', 'hs_call_status', 'hs_call_duration'],
  email: ['hs_timestamp', 'hubspot_owner_id', 'hs_email_subject', 'hs_email_text', 'hs_email_direction', 'hs_email_status'],
  meeting: [
    'hs_timestamp',
    'hubspot_owner_id',
    'hs_meeting_title',
    'hs_meeting_body',
    'hs_meeting_start_time',
    'hs_meeting_end_time',
    'hs_meeting_outcome',
  ],
  note: ['hs_timestamp', 'hubspot_owner_id', 'hs_note_body'],
  task: ['hs_timestamp', 'hubspot_owner_id', 'hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_task_priority', 'hs_task_type'],
};

/**
 * The in-memory book of business one provider serves. Provider-neutral and compact: plain objects,
 * numeric epoch milliseconds, references by array index, so that 100,000 deals and 1,000,000
 * activities fit comfortably in memory. Each provider surface renders these rows into its own
 * shapes on the way out.
 */
export type SandboxProvider = 'hubspot' | 'salesforce';

/** Rule ids of the health engine (src/domain/rules) that the generator plants on open deals. */
export type PlantedProblem =
  | 'stale_deal'
  | 'stuck_in_stage'
  | 'close_date_passed'
  | 'close_date_pushed'
  | 'missing_amount'
  | 'missing_close_date'
  | 'missing_next_step'
  | 'no_next_activity'
  | 'single_threaded'
  | 'amount_decreased'
  | 'stage_regressed'
  | 'stage_skipped'
  | 'discount_over_limit'
  | 'activity_not_logged';

export type RepHabit = 'diligent' | 'never_logs' | 'loses_at_stage' | 'heavy_discounter' | 'slipper' | 'steady';

export type ActivityKind = 'call' | 'email' | 'meeting' | 'note' | 'task';

export interface StageDef {
  id: string;
  label: string;
  /** 0..1 */
  probability: number;
  isClosed: boolean;
  isWon: boolean;
  /** Salesforce ForecastCategoryName. */
  forecastCategory: 'Pipeline' | 'Best Case' | 'Commit' | 'Closed' | 'Omitted';
  displayOrder: number;
}

export interface PipelineDef {
  id: string;
  label: string;
  stages: StageDef[];
}

export interface Rep {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  team: string;
  habit: RepHabit;
  /** For `loses_at_stage`: the stage id where most of their deals die. */
  weakStageId: string | null;
  createdAt: number;
}

export interface Account {
  id: string;
  name: string;
  isKey: boolean;
  industry: string;
}

export interface Deal {
  id: string;
  name: string;
  pipeline: number;
  stage: number;
  owner: number;
  account: number;
  leadSource: string;
  amount: number | null;
  /** UTC midnight of the close date. */
  closeDate: number | null;
  createdAt: number;
  modifiedAt: number;
  stageEnteredAt: number;
  nextStep: string | null;
  /** Percent (12.5 = 12.5 %). */
  discount: number | null;
  /** Salesforce LastModifiedById: who saved the deal last (unset: its owner). */
  modifiedBy?: string;
  contactIds: string[];
  pushCount: number;
  lostReason: string | null;
  deleted: boolean;
  deletedAt: number | null;
  /** Properties/fields written through the API that the generator does not model (dealwatch_score...). */
  custom: Record<string, string | number | boolean | null> | undefined;
}

export interface Activity {
  id: string;
  deal: number;
  kind: ActivityKind;
  /** When it happened; for tasks the due date. */
  at: number;
  direction: 'inbound' | 'outbound' | null;
  completed: boolean;
  owner: number;
  subject: string;
  body: string | null;
  createdAt: number;
  modifiedAt: number;
  deleted: boolean;
  /** Written through the API (an annotation) rather than generated. */
  viaApi: boolean;
  /** Custom field/property values written through the API (Salesforce `__c`, HubSpot custom properties). */
  custom?: Record<string, string | null>;
}

/** One row per change of stage, amount or close date (Salesforce OpportunityHistory semantics). */
export interface StageHistoryRow {
  id: string;
  deal: number;
  stage: number;
  amount: number | null;
  closeDate: number | null;
  at: number;
}

export type TrackedField = 'StageName' | 'Amount' | 'CloseDate';

/** Salesforce OpportunityFieldHistory semantics: one row per tracked field change. */
export interface FieldHistoryRow {
  id: string;
  deal: number;
  field: TrackedField;
  oldValue: string | number | null;
  newValue: string | number | null;
  at: number;
}

export interface Planted {
  /** deal id -> the problems it was built to exhibit (empty array = healthy, open). */
  deals: Record<string, PlantedProblem[]>;
  /** rep (owner/user) id -> habit */
  reps: Record<string, RepHabit>;
  /** Open deals built to be healthy under the engine's default thresholds. */
  healthy: string[];
}

export interface Book {
  provider: SandboxProvider;
  seed: number;
  generatedAt: number;
  pipelines: PipelineDef[];
  reps: Rep[];
  accounts: Account[];
  deals: Deal[];
  activities: Activity[];
  stageHistory: StageHistoryRow[];
  fieldHistory: FieldHistoryRow[];
  leadSources: { name: string; winRate: number }[];
  planted: Planted;
}

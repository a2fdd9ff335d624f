/**
 * Static reference data of the generated book: pipelines and stages as each provider ships them
 * by default, lead sources with their win rates, names. Written from the providers' docs
 * (HubSpot default deal pipeline; Salesforce standard OpportunityStage picklist).
 */
import type { PipelineDef, SandboxProvider, StageDef } from './book.js';

function stage(id: string, label: string, probability: number, order: number, forecast: StageDef['forecastCategory']): StageDef {
  const isClosed = id.toLowerCase().includes('closed');
  const isWon = isClosed && probability === 1;
  return { id, label, probability, isClosed, isWon, forecastCategory: forecast, displayOrder: order };
}

/** HubSpot's default "Sales Pipeline" plus a second pipeline, so "several pipelines" is exercised. */
export const HUBSPOT_PIPELINES: PipelineDef[] = [
  {
    id: 'default',
    label: 'Sales Pipeline',
    stages: [
      stage('appointmentscheduled', 'Appointment Scheduled', 0.2, 0, 'Pipeline'),
      stage('qualifiedtobuy', 'Qualified To Buy', 0.4, 1, 'Pipeline'),
      stage('presentationscheduled', 'Presentation Scheduled', 0.6, 2, 'Best Case'),
      stage('decisionmakerboughtin', 'Decision Maker Bought-In', 0.8, 3, 'Best Case'),
      stage('contractsent', 'Contract Sent', 0.9, 4, 'Commit'),
      stage('closedwon', 'Closed Won', 1, 5, 'Closed'),
      stage('closedlost', 'Closed Lost', 0, 6, 'Omitted'),
    ],
  },
  {
    id: '75e28846-ad0d-4be2-a027-5e1da6590b98',
    label: 'Enterprise Pipeline',
    stages: [
      stage('ent_discovery', 'Discovery', 0.2, 0, 'Pipeline'),
      stage('ent_solution', 'Solution Design', 0.4, 1, 'Pipeline'),
      stage('ent_proposal', 'Proposal', 0.6, 2, 'Best Case'),
      stage('ent_legal', 'Legal Review', 0.85, 3, 'Commit'),
      stage('ent_closedwon', 'Closed Won', 1, 4, 'Closed'),
      stage('ent_closedlost', 'Closed Lost', 0, 5, 'Omitted'),
    ],
  },
];

/** Salesforce's standard Opportunity stages (one sales process). */
export const SALESFORCE_PIPELINES: PipelineDef[] = [
  {
    id: 'default',
    label: 'Standard Sales Process',
    stages: [
      stage('Prospecting', 'Prospecting', 0.1, 1, 'Pipeline'),
      stage('Qualification', 'Qualification', 0.1, 2, 'Pipeline'),
      stage('Needs Analysis', 'Needs Analysis', 0.2, 3, 'Pipeline'),
      stage('Value Proposition', 'Value Proposition', 0.5, 4, 'Pipeline'),
      stage('Id. Decision Makers', 'Id. Decision Makers', 0.6, 5, 'Pipeline'),
      stage('Perception Analysis', 'Perception Analysis', 0.7, 6, 'Best Case'),
      stage('Proposal/Price Quote', 'Proposal/Price Quote', 0.75, 7, 'Best Case'),
      stage('Negotiation/Review', 'Negotiation/Review', 0.9, 8, 'Commit'),
      stage('Closed Won', 'Closed Won', 1, 9, 'Closed'),
      stage('Closed Lost', 'Closed Lost', 0, 10, 'Omitted'),
    ],
  },
];

export function pipelinesFor(provider: SandboxProvider): PipelineDef[] {
  return provider === 'hubspot' ? HUBSPOT_PIPELINES : SALESFORCE_PIPELINES;
}

/** Lead sources with deliberately different win rates, so lead-quality reports have signal. */
export const LEAD_SOURCES: Record<SandboxProvider, { name: string; winRate: number }[]> = {
  hubspot: [
    { name: 'REFERRALS', winRate: 0.55 },
    { name: 'ORGANIC_SEARCH', winRate: 0.35 },
    { name: 'DIRECT_TRAFFIC', winRate: 0.3 },
    { name: 'EMAIL_MARKETING', winRate: 0.25 },
    { name: 'PAID_SEARCH', winRate: 0.2 },
    { name: 'SOCIAL_MEDIA', winRate: 0.15 },
    { name: 'OFFLINE', winRate: 0.4 },
  ],
  salesforce: [
    { name: 'Partner Referral', winRate: 0.55 },
    { name: 'Employee Referral', winRate: 0.45 },
    { name: 'Web', winRate: 0.3 },
    { name: 'Phone Inquiry', winRate: 0.35 },
    { name: 'Trade Show', winRate: 0.25 },
    { name: 'Purchased List', winRate: 0.12 },
    { name: 'Other', winRate: 0.2 },
  ],
};

export const FIRST_NAMES = [
  'Ava',
  'Ben',
  'Chloe',
  'Diego',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Priya',
];
export const LAST_NAMES = [
  'Adams',
  'Brooks',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Mensah',
  'Novak',
  'Okafor',
  'Patel',
];
export const COMPANY_WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Hooli',
  'Vandelay',
  'Wonka',
  'Aperture',
  'Oscorp',
  'Nakatomi',
  'Massive',
  'Gringotts',
  'Pied Piper',
];
export const COMPANY_SUFFIXES = ['Corp', 'Industries', 'Labs', 'Holdings', 'Group', 'Systems', 'Logistics', 'Health', 'Foods', 'Energy'];
export const INDUSTRIES = ['Technology', 'Manufacturing', 'Healthcare', 'Retail', 'Finance', 'Energy', 'Logistics'];
export const DEAL_PRODUCTS = ['Platform licence', 'Expansion', 'Renewal', 'Pilot', 'Services bundle', 'Enterprise tier', 'Add-on seats'];
export const NEXT_STEPS = [
  'Send proposal',
  'Schedule demo with IT',
  'Confirm budget with CFO',
  'Security review call',
  'Draft contract',
  'Follow up on pricing',
  'Book onsite workshop',
];
export const LOST_REASONS = ['Price', 'Lost to competitor', 'No budget', 'No decision', 'Timing'];
export const ACTIVITY_SUBJECTS: Record<string, readonly string[]> = {
  call: ['Discovery call', 'Follow-up call', 'Pricing call', 'Check-in call'],
  email: ['Re: proposal', 'Intro email', 'Follow up', 'Re: contract questions'],
  meeting: ['Demo', 'Onsite workshop', 'Executive briefing', 'Kick-off'],
  note: ['Call notes', 'Meeting notes', 'Account research'],
  task: ['Send follow-up', 'Prepare quote', 'Update mutual plan', 'Call back'],
};

/** The approval matrix of the engine's default `discount_over_limit` rule (src/domain/rules/config.ts). */
export function discountLimitFor(amount: number): number {
  if (amount < 10_000) return 10;
  if (amount < 50_000) return 15;
  return 20;
}

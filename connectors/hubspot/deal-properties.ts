/**
 * The deal properties dealwatch writes (score and flags), and making them exist: a new portal has
 * neither, and a write to a missing property fails the whole batch (400 PROPERTY_DOESNT_EXIST).
 * They are created in a `dealwatch` property group, which needs the `crm.schemas.deals.write` scope
 * (https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide).
 */
import { CrmError } from '../../src/domain/errors.js';
import type { HubSpotConnection } from '../../src/domain/model/index.js';
import type { HubSpotClient } from './client.js';
import { RULE_IDS } from '../../src/domain/rules/config.js';
import { RULE_NAMES } from '../../src/domain/rules/names.js';
import { DEFAULT_FLAGS_PROPERTY, DEFAULT_SCORE_PROPERTY, WARNING_KEY_PROPERTY } from './mappers.js';
import { PropertiesResponse } from './schemas.js';

export const PROPERTY_GROUP = { name: 'dealwatch', label: 'dealwatch', displayOrder: -1 } as const;
export const SCHEMA_WRITE_SCOPE = 'crm.schemas.deals.write';

export interface WantedProperty {
  name: string;
  label: string;
  type: 'number' | 'string' | 'enumeration';
  fieldType: 'number' | 'text' | 'checkbox';
  description: string;
  options?: { label: string; value: string; displayOrder: number }[];
}

/**
 * The score and flags properties of a connection (its field map, else the defaults). Flags are a
 * multiple checkbox property: options labelled with the rules' readable names, valued by rule id,
 * so reps filter on "No recent activity" while the API writes `stale_deal;stuck_in_stage` (values
 * of a multiple checkbox are set `;`-separated, as a text flags property of older installs is).
 * https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide
 */
export function dealwatchProperties(settings: HubSpotConnection): WantedProperty[] {
  return [
    {
      name: settings.fieldMap.score ?? DEFAULT_SCORE_PROPERTY,
      label: 'dealwatch score',
      type: 'number',
      fieldType: 'number',
      description: 'Deal health score 0-100 written by dealwatch',
    },
    {
      name: settings.fieldMap.flags ?? DEFAULT_FLAGS_PROPERTY,
      label: 'dealwatch flags',
      type: 'enumeration',
      fieldType: 'checkbox',
      description: 'What dealwatch found on the deal',
      options: RULE_IDS.map((id, displayOrder) => ({ label: RULE_NAMES[id], value: id, displayOrder })),
    },
  ];
}

/** What the portal has of the wanted properties. */
export async function readDealProperties(
  client: HubSpotClient,
  signal?: AbortSignal,
): Promise<Map<string, { type: string | null; readOnly: boolean }>> {
  const response = await client.getProperties('deals', signal);
  return new Map(
    (PropertiesResponse.parse(response.body).results ?? []).map((p) => [
      p.name,
      { type: p.type ?? null, readOnly: p.modificationMetadata?.readOnlyValue === true },
    ]),
  );
}

export interface EnsureOutcome {
  created: string[];
  /** Why the properties cannot be written (names them and says what to do); null when they can. */
  problem: string | null;
}

/** Creates the missing score/flags properties (and their group); reports what it could not. */
export async function ensureDealwatchProperties(
  client: HubSpotClient,
  settings: HubSpotConnection,
  signal?: AbortSignal,
): Promise<EnsureOutcome> {
  const existing = await readDealProperties(client, signal);
  const wanted = dealwatchProperties(settings);
  const readOnly = wanted.filter((p) => existing.get(p.name)?.readOnly === true).map((p) => p.name);
  if (readOnly.length > 0) {
    const problem =
      `HubSpot deal properties ${readOnly.join(', ')} are read-only: point fieldMap.score/fieldMap.flags at writable properties, ` +
      'or run `dealwatch doctor --fix` after removing them';
    return { created: [], problem };
  }
  const missing = wanted.filter((p) => !existing.has(p.name));
  if (missing.length === 0) return { created: [], problem: null };
  try {
    await alreadyThere(() => client.createPropertyGroup('deals', { ...PROPERTY_GROUP }, signal));
    for (const p of missing) await alreadyThere(() => client.createProperty('deals', { ...p, groupName: PROPERTY_GROUP.name }, signal));
  } catch (error) {
    const why =
      error instanceof CrmError && error.status === 403
        ? `the app lacks the ${SCHEMA_WRITE_SCOPE} scope`
        : error instanceof Error
          ? error.message
          : String(error);
    return {
      created: [],
      problem:
        `HubSpot deal properties ${missing.map((p) => p.name).join(', ')} do not exist and dealwatch could not create them (${why}): ` +
        `grant ${SCHEMA_WRITE_SCOPE} and run \`dealwatch doctor --fix\`, or create them in HubSpot`,
    };
  }
  return { created: missing.map((p) => p.name), problem: null };
}

/**
 * The `dealwatch_key` property on notes or tasks (whichever the connection writes), created in the
 * `dealwatch` group of that object if missing: each warning record's key lives there, not in its text.
 */
export async function ensureWarningKeyProperty(
  client: HubSpotClient,
  type: 'notes' | 'tasks',
  signal?: AbortSignal,
): Promise<EnsureOutcome> {
  const response = await client.getProperties(type, signal);
  const existing = (PropertiesResponse.parse(response.body).results ?? []).some((p) => p.name === WARNING_KEY_PROPERTY);
  if (existing) return { created: [], problem: null };
  try {
    await alreadyThere(() => client.createPropertyGroup(type, { ...PROPERTY_GROUP }, signal));
    await alreadyThere(() => client.createProperty(type, { ...WARNING_KEY_DEFINITION, groupName: PROPERTY_GROUP.name }, signal));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const problem =
      `HubSpot ${type} property ${WARNING_KEY_PROPERTY} does not exist and dealwatch could not create it (${why}): ` +
      'run `dealwatch doctor --fix`, or create it in HubSpot';
    return { created: [], problem };
  }
  return { created: [WARNING_KEY_PROPERTY], problem: null };
}

export const WARNING_KEY_DEFINITION = {
  name: WARNING_KEY_PROPERTY,
  label: 'dealwatch record key',
  type: 'string' as const,
  fieldType: 'text' as const,
  description: 'Which dealwatch warning this record is (used by dealwatch to update it; not for people)',
};

/** 409: made by another worker (or a person) meanwhile, which is what we wanted. */
async function alreadyThere(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof CrmError && error.status === 409) return;
    throw error;
  }
}

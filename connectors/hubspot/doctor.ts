/** `doctor`: the score/flags deal properties exist and are writable; `fix` creates missing ones. */
import type { HubSpotConnection } from '../../src/domain/model/index.js';
import type { DoctorReport } from '../types.js';
import type { HubSpotClient } from './client.js';
import { DEFAULT_DISCOUNT_PROPERTY, WARNING_KEY_PROPERTY } from './mappers.js';
import { PropertiesResponse } from './schemas.js';
import { dealwatchProperties, ensureWarningKeyProperty, PROPERTY_GROUP } from './deal-properties.js';
import { CrmError } from '../../src/domain/errors.js';

const AS_TEXT = '; flags are written as text (a multiple checkbox property would let reps filter them by name)';

export async function runDoctor(
  client: HubSpotClient,
  settings: HubSpotConnection,
  options: { fix?: boolean } = {},
): Promise<DoctorReport> {
  const checks: DoctorReport['checks'] = [];
  let properties: Map<string, { type: string | null; readOnly: boolean }>;
  try {
    const response = await client.getProperties('deals');
    properties = new Map(
      (PropertiesResponse.parse(response.body).results ?? []).map((p) => [
        p.name,
        { type: p.type ?? null, readOnly: p.modificationMetadata?.readOnlyValue === true },
      ]),
    );
    checks.push({ name: 'token', ok: true, detail: `${credentials(settings)}: the access token can read deal properties` });
  } catch (error) {
    checks.push({
      name: 'token',
      ok: false,
      detail: `${credentials(settings)}: ${error instanceof Error ? error.message : String(error)}`,
    });
    return { ok: false, checks };
  }

  const wanted = dealwatchProperties(settings);
  let groupMade = false;
  const createGroupOnce = async () => {
    if (groupMade) return;
    try {
      await client.createPropertyGroup('deals', { ...PROPERTY_GROUP });
    } catch (error) {
      if (!(error instanceof CrmError && error.status === 409)) throw error; // 409: the group exists
    }
    groupMade = true;
  };
  for (const field of wanted) {
    const existing = properties.get(field.name);
    if (existing) {
      const asText = field.type === 'enumeration' && existing.type !== 'enumeration' ? AS_TEXT : '';
      checks.push({
        name: `property ${field.name}`,
        ok: !existing.readOnly,
        detail: existing.readOnly
          ? `${field.name} exists but is read-only`
          : `${field.name} exists (${existing.type ?? 'unknown type'}) and is writable${asText}`,
      });
      continue;
    }
    if (!options.fix) {
      checks.push({
        name: `property ${field.name}`,
        ok: false,
        detail: `${field.name} is missing on deals; run doctor with --fix to create it`,
      });
      continue;
    }
    try {
      await createGroupOnce();
      await client.createProperty('deals', { ...field, groupName: PROPERTY_GROUP.name });
      checks.push({ name: `property ${field.name}`, ok: true, detail: `${field.name} created` });
    } catch (error) {
      checks.push({
        name: `property ${field.name}`,
        ok: false,
        detail: `could not create ${field.name}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  // Each warning record's key lives in a property of the note/task, not in its text; discount
  // approvals are tasks whatever the warnings are, so tasks need it too.
  const recordTypes = settings.warningRecord === 'task' ? (['tasks'] as const) : (['notes', 'tasks'] as const);
  for (const recordType of recordTypes)
    try {
      const present = (PropertiesResponse.parse((await client.getProperties(recordType)).body).results ?? []).some(
        (p) => p.name === WARNING_KEY_PROPERTY,
      );
      if (present)
        checks.push({
          name: `property ${recordType}.${WARNING_KEY_PROPERTY}`,
          ok: true,
          detail: `${WARNING_KEY_PROPERTY} exists on ${recordType}`,
        });
      else if (!options.fix)
        checks.push({
          name: `property ${recordType}.${WARNING_KEY_PROPERTY}`,
          ok: false,
          detail: `${WARNING_KEY_PROPERTY} is missing on ${recordType}; run doctor with --fix to create it`,
        });
      else {
        const outcome = await ensureWarningKeyProperty(client, recordType);
        checks.push({
          name: `property ${recordType}.${WARNING_KEY_PROPERTY}`,
          ok: outcome.problem === null,
          detail: outcome.problem ?? `${WARNING_KEY_PROPERTY} created on ${recordType}`,
        });
      }
    } catch (error) {
      checks.push({
        name: `property ${recordType}.${WARNING_KEY_PROPERTY}`,
        ok: false,
        detail: `could not read ${recordType} properties: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  const discount = settings.fieldMap.discount ?? DEFAULT_DISCOUNT_PROPERTY;
  checks.push({
    name: `property ${discount}`,
    ok: true,
    detail: properties.has(discount)
      ? `discount read from ${discount}`
      : `${discount} does not exist: discounts will not be checked (set fieldMap.discount)`,
  });
  return { ok: checks.every((c) => c.ok), checks };
}

/** Which credentials the token check exercised (never their values). */
function credentials(settings: HubSpotConnection): string {
  return settings.auth?.type === 'oauth' ? 'OAuth (public app; refresh token exchanged for an access token)' : 'private app token';
}

/**
 * The custom fields write-back needs, as `doctor --fix` creates them through the Tooling API:
 * `POST /services/data/vXX.X/tooling/sobjects/CustomField` with `FullName` (`Object.Name__c`) and
 * `Metadata` (CustomFieldMetadata, the Metadata API's CustomField). Custom fields of Task live on
 * Activity. Answer 201 `{ id, success, errors }`; a 400 names the problem (DUPLICATE_DEVELOPER_NAME
 * when the field exists).
 * https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customfield.htm
 *
 * A field created so is visible to profiles only through field-level security: the integration
 * user needs Edit on it (its profile or a permission set), which doctor then checks.
 */
import { RULE_NAMES } from '../../src/domain/rules/names.js';
import { WARNING_KEY_FIELD } from './mappers.js';

export interface CustomFieldCreate {
  FullName: string;
  Metadata: Record<string, unknown>;
}

/** Opportunity score: Number(3, 0). */
export function scoreFieldDefinition(name: string): CustomFieldCreate {
  return {
    FullName: `Opportunity.${name}`,
    Metadata: {
      label: 'Dealwatch Score',
      type: 'Number',
      precision: 3,
      scale: 0,
      description: 'Pipeline health score written by dealwatch (0-100).',
    },
  };
}

/**
 * Opportunity flags: a multi-select picklist whose values are the rule ids (what write-back sends,
 * `;`-joined) and whose labels are the rules' readable names (what reps see and filter on). Not
 * restricted, so a rule added by a later version is still written before the picklist lists it.
 */
export function flagsFieldDefinition(name: string): CustomFieldCreate {
  return {
    FullName: `Opportunity.${name}`,
    Metadata: {
      label: 'Dealwatch Flags',
      type: 'MultiselectPicklist',
      visibleLines: 6,
      description: 'Open dealwatch findings of the deal.',
      valueSet: {
        restricted: false,
        valueSetDefinition: {
          sorted: false,
          value: Object.entries(RULE_NAMES).map(([id, label]) => ({ fullName: id, label, default: false })),
        },
      },
    },
  };
}

/** The record key of dealwatch's Tasks: Text(80) on Activity, filterable, never shown on layouts by default. */
export function warningKeyFieldDefinition(): CustomFieldCreate {
  return {
    FullName: `Activity.${WARNING_KEY_FIELD}`,
    Metadata: {
      label: 'Dealwatch Key',
      type: 'Text',
      length: 80,
      description: 'Lookup key dealwatch keeps its own Tasks by (not for people).',
    },
  };
}

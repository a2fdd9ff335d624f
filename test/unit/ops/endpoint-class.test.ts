/** CRM endpoints fall into few classes, so `dealwatch_crm_api_calls_total` stays small whatever the URL. */
import { describe, expect, it } from 'vitest';
import { endpointClassOf } from '../../../src/metrics.js';

describe('endpointClassOf', () => {
  it.each([
    ['POST /oauth/v1/token', 'auth'],
    ['POST oauth2/token', 'auth'],
    ['POST jobs/query', 'bulk'],
    ['GET jobs/query/:id/results', 'bulk'],
    ['GET query', 'query'],
    ['GET query/:id', 'query'],
    ['POST /crm/v3/objects/deals/search', 'query'],
    ['POST /crm/v3/objects/notes/batch/read', 'read'],
    ['POST /crm/v4/associations/deals/notes/batch/read', 'read'],
    ['GET /crm/v3/objects/deals', 'read'],
    ['GET sobjects/Opportunity/describe', 'read'],
    ['POST /crm/v3/objects/notes/batch/create', 'write'],
    ['PATCH composite/sobjects', 'write'],
    ['POST composite/sobjects', 'write'],
  ])('%s is %s', (endpoint, expected) => {
    expect(endpointClassOf(endpoint)).toBe(expected);
  });
});

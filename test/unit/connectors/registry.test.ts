import { describe, expect, it } from 'vitest';
import {
  crmRecordUrl,
  descriptorOf,
  rateLimitsOf,
  registeredProviders,
  warningRecordOf,
  writebackBatchSizeOf,
} from '../../../connectors/registry.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';

const hubspot = (extra: object) =>
  ConnectionSettings.parse({ id: 'acme-hubspot', provider: 'hubspot', accessToken: 'pat-na1-x', ...extra });
const salesforce = (extra: object) =>
  ConnectionSettings.parse({ id: 'acme-sf', provider: 'salesforce', auth: { type: 'accessToken', accessToken: 'tok' }, ...extra });

describe('a deal links to its record in the CRM', () => {
  it("HubSpot: the deal record of the connection's account", () => {
    expect(crmRecordUrl(hubspot({ portalId: '4412345' }), '987')).toBe('https://app.hubspot.com/contacts/4412345/record/0-3/987');
  });
  it('HubSpot without an account id: no link', () => {
    expect(crmRecordUrl(hubspot({}), '987')).toBeNull();
  });
  it('Salesforce: the Lightning record page on the instance', () => {
    expect(crmRecordUrl(salesforce({ instanceUrl: 'https://acme.my.salesforce.com/' }), '006xx000001AbCdAAK')).toBe(
      'https://acme.my.salesforce.com/lightning/r/Opportunity/006xx000001AbCdAAK/view',
    );
  });
  it('Salesforce without an instance URL: no link', () => {
    expect(crmRecordUrl(salesforce({}), '006xx000001AbCdAAK')).toBeNull();
  });
});

describe("each provider's facts come from its descriptor", () => {
  it('knows the two providers, and refuses another as a configuration error', () => {
    expect(registeredProviders()).toEqual(['hubspot', 'salesforce']);
    expect(() => descriptorOf('pipedrive')).toThrow(ConfigError);
  });
  it('rate limits: HubSpot 100 per 10 s and 5 searches per second, Salesforce 25 per second', () => {
    expect(rateLimitsOf(hubspot({}))).toEqual({ default: { requests: 100, perMs: 10_000 }, search: { requests: 5, perMs: 1_000 } });
    expect(rateLimitsOf(salesforce({}))).toEqual({ default: { requests: 25, perMs: 1_000 } });
  });
  it('lets a connection override the default bucket and keeps the search bucket', () => {
    expect(rateLimitsOf(hubspot({ rateLimit: { requests: 190, perMs: 10_000 } }))).toEqual({
      default: { requests: 190, perMs: 10_000 },
      search: { requests: 5, perMs: 1_000 },
    });
  });
  it('write-back batches: Salesforce sObject Collections 200, HubSpot batch endpoints 100', () => {
    expect(writebackBatchSizeOf(salesforce({}))).toBe(200);
    expect(writebackBatchSizeOf(hubspot({}))).toBe(100);
  });
  it('warning records: HubSpot notes and Salesforce tasks unless the connection says otherwise', () => {
    expect(warningRecordOf(hubspot({}))).toBe('note');
    expect(warningRecordOf(salesforce({}))).toBe('task');
    expect(warningRecordOf(hubspot({ warningRecord: 'task' }))).toBe('task');
  });
});

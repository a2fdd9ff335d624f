import { describe, expect, it } from 'vitest';
import { crmRecordUrl } from '../../../connectors/registry.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';

const hubspot = (extra: object) =>
  ConnectionSettings.parse({ id: 'acme-hubspot', provider: 'hubspot', accessToken: 'pat-na1-x', ...extra });
const salesforce = (extra: object) =>
  ConnectionSettings.parse({ id: 'acme-sf', provider: 'salesforce', auth: { type: 'accessToken', accessToken: 'tok' }, ...extra });

describe('a deal links to its record in the CRM', () => {
  it('HubSpot: the deal record of the connection\'s account', () => {
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

/**
 * Salesforce Outbound Messages on Opportunity stage changes (or, with `on: 'every_edit'`, on every
 * save, as a workflow rule "created, and every time it's edited" fires, API writes included): a SOAP `notifications` envelope
 * (OrganizationId, ActionId, SessionId, EnterpriseUrl, PartnerUrl, up to 100 Notification{Id,
 * sObject}) POSTed to the configured URL; anything but a response containing `<Ack>true</Ack>`
 * is retried.
 */
import type { BookStore, DealChange } from '../book-store.js';
import { Deliverer, type DeliveryAttempt, type RetryPolicy } from '../delivery.js';
import { isoDay } from '../generator/generate.js';
import { salesforceId } from '../generator/ids.js';
import { formatDateTime } from '../soql/execute.js';

const NAMESPACES =
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

interface Notification {
  notificationId: string;
  fields: [string, string | null][];
}

export function outboundEnvelope(input: {
  organizationId: string;
  actionId: string;
  instanceUrl: string;
  apiVersion: string;
  notifications: Notification[];
}): string {
  const { organizationId, actionId, instanceUrl, apiVersion, notifications } = input;
  const items = notifications
    .map(
      (n) => `   <Notification>
    <Id>${n.notificationId}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
${n.fields.map(([k, v]) => (v === null ? `     <sf:${k} xsi:nil="true"/>` : `     <sf:${k}>${escapeXml(v)}</sf:${k}>`)).join('\n')}
    </sObject>
   </Notification>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope ${NAMESPACES}>
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${organizationId}</OrganizationId>
   <ActionId>${actionId}</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>${escapeXml(`${instanceUrl}/services/Soap/c/${apiVersion}/${organizationId.slice(0, 15)}`)}</EnterpriseUrl>
   <PartnerUrl>${escapeXml(`${instanceUrl}/services/Soap/u/${apiVersion}/${organizationId.slice(0, 15)}`)}</PartnerUrl>
${items}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;
}

export class OutboundMessageEmitter {
  private nextNotification = 1;
  private readonly on: 'stage_change' | 'every_edit';
  private lastSave: object | null = null;
  private lastSaveAt = 0;
  private readonly deliverer: Deliverer<Notification>;
  readonly actionId: string;

  constructor(
    private readonly store: BookStore,
    organizationId: string,
    instanceUrl: () => string,
    url: string,
    options: {
      retry: RetryPolicy;
      batchDelayMs: number;
      apiVersion: string;
      record(a: DeliveryAttempt): void;
      on?: 'stage_change' | 'every_edit';
    },
  ) {
    this.on = options.on ?? 'stage_change';
    this.actionId = `04k5g0000000${'001'}AAA`.slice(0, 15) + 'AAA';
    this.deliverer = new Deliverer({
      provider: 'salesforce',
      url,
      maxBatch: 100,
      batchDelayMs: options.batchDelayMs,
      retry: options.retry,
      build: (notifications) => ({
        body: outboundEnvelope({
          organizationId,
          actionId: this.actionId,
          instanceUrl: instanceUrl(),
          apiVersion: options.apiVersion,
          notifications,
        }),
        headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', 'User-Agent': 'Salesforce - OutboundMessaging' },
      }),
      accepted: (status, body) => status >= 200 && status < 300 && /<(\w+:)?Ack>\s*true\s*<\/(\w+:)?Ack>/.test(body),
      record: options.record,
    });
    store.onChange((change) => this.onChange(change));
  }

  private onChange(change: DealChange): void {
    if (change.type !== 'propertyChange') return;
    // One message per save: a save that moved several fields emits several changes, only the first counts.
    if (this.on === 'stage_change' ? change.property !== 'stage' : this.lastSave === change.deal && this.lastSaveAt === change.at) return;
    this.lastSave = change.deal;
    this.lastSaveAt = change.at;
    const d = change.deal;
    const stage = this.store.stageOf(d);
    this.deliverer.enqueue({
      notificationId: salesforceId('QueryJob', this.nextNotification++).replace(/^750/, '04l'),
      fields: [
        ['Id', d.id],
        ['Name', d.name],
        ['StageName', stage.label],
        ['Amount', d.amount === null ? null : String(d.amount)],
        ['CloseDate', d.closeDate === null ? null : isoDay(d.closeDate)],
        ['IsClosed', String(stage.isClosed)],
        ['IsWon', String(stage.isWon)],
        ['OwnerId', this.store.book.reps[d.owner]?.id ?? null],
        ['LastModifiedDate', formatDateTime(d.modifiedAt)],
        ['LastModifiedById', d.modifiedBy ?? this.store.book.reps[d.owner]?.id ?? null],
        ['SystemModstamp', formatDateTime(d.modifiedAt)],
      ],
    });
  }

  drain(): Promise<void> {
    return this.deliverer.drain();
  }
  close(): void {
    this.deliverer.close();
  }
}

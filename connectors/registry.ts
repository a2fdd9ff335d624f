/**
 * Provider name -> provider descriptor (connectors/types.ts). The sync engine, the queues' rate
 * gates, write-back, the server's webhooks and record links read a provider's facts here and never
 * test which provider they talk to. Adding a provider: one folder under connectors/ with its
 * descriptor, and one `registerProvider` line below (docs/architecture.md, "How to add").
 */
import type { ConnectionSettings, Provider } from '../src/domain/model/index.js';
import { ConfigError } from '../src/domain/errors.js';
import type { ConnectorDeps, CrmConnector, ProviderDescriptor, RateLimits, WebhookVerifier } from './types.js';
import { hubspotDescriptor } from './hubspot/index.js';
import { salesforceDescriptor } from './salesforce/index.js';

const descriptors = new Map<string, ProviderDescriptor>();

/** Makes a provider known to every part of dealwatch. A name registered twice is a programming error. */
export function registerProvider<S extends { id: string; provider: string }>(descriptor: ProviderDescriptor<S>): void {
  if (descriptors.has(descriptor.provider)) throw new Error(`provider "${descriptor.provider}" is registered twice`);
  descriptors.set(descriptor.provider, descriptor as unknown as ProviderDescriptor);
}

registerProvider(hubspotDescriptor);
registerProvider(salesforceDescriptor);

/** The names of the registered providers, in registration order. */
export function registeredProviders(): Provider[] {
  return [...descriptors.keys()] as Provider[];
}

/** The descriptor of a provider; an unknown one is a configuration error. */
export function descriptorOf(provider: string): ProviderDescriptor {
  const descriptor = descriptors.get(provider);
  if (descriptor === undefined) throw new ConfigError([`provider "${provider}" is not one of ${registeredProviders().join(', ')}`]);
  return descriptor;
}

/** Builds the connector of a connection. */
export function createConnector(settings: ConnectionSettings, deps: ConnectorDeps): CrmConnector {
  return descriptorOf(settings.provider).create(settings, deps);
}

/** Builds the webhook verifier of a connection. */
export function webhookVerifierFor(settings: ConnectionSettings): WebhookVerifier {
  return descriptorOf(settings.provider).webhookVerifier(settings);
}

/** The URL at which a person opens a deal in its CRM, or null when the connection's settings cannot tell. */
export function crmRecordUrl(settings: ConnectionSettings, dealId: string): string | null {
  return descriptorOf(settings.provider).recordUrl(settings, dealId);
}

/** The rate limits of a connection: its provider's, with the connection's `rateLimit` as the `default` bucket. */
export function rateLimitsOf(settings: ConnectionSettings): RateLimits {
  const base = descriptorOf(settings.provider).rateLimits;
  return settings.rateLimit ? { ...base, default: settings.rateLimit } : { ...base };
}

/** Records per write-back call of a connection's provider. */
export function writebackBatchSizeOf(settings: ConnectionSettings): number {
  return descriptorOf(settings.provider).writebackBatchSize;
}

/** The kind of warning record a connection writes: its `warningRecord`, else its provider's default. */
export function warningRecordOf(settings: Pick<ConnectionSettings, 'provider' | 'warningRecord'>): 'note' | 'task' {
  return settings.warningRecord ?? descriptorOf(settings.provider).defaultWarningRecord;
}

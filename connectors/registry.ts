/**
 * Provider name -> connector factory. The sync engine picks a connector here and never learns which
 * provider it talks to.
 */
import type { ConnectionSettings, Provider } from '../src/domain/model/index.js';
import type { ConnectorDeps, ConnectorFactory, CrmConnector, WebhookVerifier } from './types.js';
import { hubspotFactory } from './hubspot/index.js';
import { salesforceFactory } from './salesforce/index.js';

type FactoryOf<P extends Provider> = ConnectorFactory<Extract<ConnectionSettings, { provider: P }>>;

/** One factory per provider; a provider without one is a compile error once it is in `Provider`. */
export const connectorFactories: { [P in Provider]: FactoryOf<P> } = {
  hubspot: hubspotFactory,
  salesforce: salesforceFactory,
};

function factoryFor<P extends Provider>(provider: P): FactoryOf<P> {
  return connectorFactories[provider] as FactoryOf<P>;
}

/** Builds the connector of a connection. */
export function createConnector(settings: ConnectionSettings, deps: ConnectorDeps): CrmConnector {
  return (factoryFor(settings.provider) as ConnectorFactory<ConnectionSettings>).create(settings, deps);
}

/** Builds the webhook verifier of a connection. */
export function webhookVerifierFor(settings: ConnectionSettings): WebhookVerifier {
  return (factoryFor(settings.provider) as ConnectorFactory<ConnectionSettings>).webhookVerifier(settings);
}

/** The URL at which a person opens a deal in its CRM, or null when the connection's settings cannot tell. */
export function crmRecordUrl(settings: ConnectionSettings, dealId: string): string | null {
  return (factoryFor(settings.provider) as ConnectorFactory<ConnectionSettings>).recordUrl(settings, dealId);
}

import type { ConnectionSettings } from '../../../domain/model/index.js';
import { DealwatchError } from '../../../domain/errors.js';
import type { ConnectionDirectory } from '../../ports.js';

/** The configured connection, or NOT_FOUND (404). */
export function requireConnection(connections: ConnectionDirectory, id: string): ConnectionSettings {
  const connection = connections.get(id);
  if (connection === undefined) throw new DealwatchError('NOT_FOUND', `no connection "${id}" is configured`);
  return connection;
}

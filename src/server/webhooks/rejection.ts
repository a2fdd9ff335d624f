import { WebhookError } from '../../domain/errors.js';
import type { VerifyResult } from '../../../connectors/types.js';

type Reason = Extract<VerifyResult, { ok: false }>['reason'] | 'malformed_json' | 'wrong_shape' | 'unknown_connection';

/** A refused webhook: the HTTP status, the coded error, and a reason label for metrics and logs. */
export class WebhookRejection extends WebhookError {
  readonly reason: Reason;
  constructor(reason: Reason, message: string) {
    const [code, status] = classify(reason);
    super(code, message, status);
    this.reason = reason;
  }
}

function classify(reason: Reason): [ConstructorParameters<typeof WebhookError>[0], number] {
  switch (reason) {
    case 'stale_timestamp':
      return ['WEBHOOK.STALE', 401];
    case 'bad_signature':
    case 'missing_signature':
    case 'wrong_token':
    case 'wrong_org':
      return ['WEBHOOK.BAD_SIGNATURE', 401];
    case 'unknown_connection':
      return ['WEBHOOK.UNKNOWN_CONNECTION', 404];
    case 'malformed':
    case 'malformed_json':
    case 'wrong_shape':
      return ['WEBHOOK.MALFORMED', 400];
  }
}

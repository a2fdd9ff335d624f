import { DealwatchError, type ErrorCode } from '../domain/errors.js';

/** The database is unreachable (`STORE.UNAVAILABLE`) or a migration failed (`STORE.MIGRATION`). */
export class StoreError extends DealwatchError {
  constructor(code: Extract<ErrorCode, `STORE.${string}`>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

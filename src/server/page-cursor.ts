/**
 * Page cursors as the API hands them out: the store's keyset position, sealed with an HMAC that
 * also covers the connection and the filters of the query. A cursor a client made up or altered,
 * one taken from another query, or one issued before the install's key changed is refused with
 * 400 before it reaches the store; the store only ever sees positions it wrote itself.
 *
 * Shape: `v1.<position>.<mac>` (base64url parts). The version lets a later format refuse old
 * cursors with the same clear 400 instead of misreading them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from './errors.js';

/** What a cursor is bound to: the connection and every filter that shapes the page sequence. */
export type CursorScope = Readonly<Record<string, string | undefined>>;

export interface PageCursors {
  /** The cursor to hand out for the store's `position`, valid only for the same scope. */
  seal(position: string, scope: CursorScope): string;
  /** The store's position inside `cursor`, or InvalidRequestError (400) naming `cursor`. */
  open(cursor: string, scope: CursorScope): string;
}

const VERSION = 'v1';
// Positions carry a deal name; CRM names run to a few hundred characters, URLs to a few KiB.
const SHAPE = /^v1\.([A-Za-z0-9_-]{1,12000})\.([A-Za-z0-9_-]{43})$/;
const REFUSED =
  'is not a cursor this API issued for this query (altered, made up, from another connection or filter, ' +
  'or from before the API tokens changed); request the first page again without a cursor';

function canonical(scope: CursorScope): string {
  return JSON.stringify(
    Object.keys(scope)
      .sort()
      .filter((k) => scope[k] !== undefined)
      .map((k) => [k, scope[k]]),
  );
}

export function pageCursors(key: Buffer): PageCursors {
  const mac = (position: string, scope: CursorScope) =>
    createHmac('sha256', key)
      .update(`${VERSION}\n${canonical(scope)}\n${position}`)
      .digest();
  return {
    seal(position, scope) {
      return `${VERSION}.${position}.${mac(position, scope).toString('base64url')}`;
    },
    open(cursor, scope) {
      const match = SHAPE.exec(cursor);
      if (match === null) throw new InvalidRequestError('querystring', 'cursor', REFUSED);
      const [, position, given] = match as unknown as [string, string, string];
      const expected = mac(position, scope);
      const presented = Buffer.from(given, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw new InvalidRequestError('querystring', 'cursor', REFUSED);
      }
      return position;
    },
  };
}

/**
 * The install's cursor key, derived from its API tokens: every replica of an install shares them
 * and no client can compute a MAC from a token it only presents. Changing the tokens retires every
 * outstanding cursor (400, start again from the first page).
 */
export function cursorKeyOf(apiTokens: readonly string[]): Buffer {
  return createHmac('sha256', 'dealwatch page cursor')
    .update([...apiTokens].sort().join('\n'))
    .digest();
}

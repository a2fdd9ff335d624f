import { describe, expect, it } from 'vitest';
import { createTokenMatcher, presentedToken } from '../../../src/server/auth.js';

describe('createTokenMatcher', () => {
  const matches = createTokenMatcher(['alpha-token', 'beta-token-longer']);

  it('accepts each configured token and nothing else', () => {
    expect(matches('alpha-token')).toBe(true);
    expect(matches('beta-token-longer')).toBe(true);
    for (const wrong of ['alpha-toke', 'alpha-token ', 'ALPHA-TOKEN', 'beta-token', '', undefined]) expect(matches(wrong)).toBe(false);
  });

  it('refuses everything when no token is configured', () => {
    expect(createTokenMatcher([])('anything')).toBe(false);
    expect(createTokenMatcher([''])('')).toBe(false);
  });
});

describe('presentedToken', () => {
  it('reads Bearer and the password of Basic', () => {
    expect(presentedToken('Bearer abc')).toBe('abc');
    expect(presentedToken('bearer   abc')).toBe('abc');
    expect(presentedToken(`Basic ${Buffer.from('admin:s3cr:et').toString('base64')}`)).toBe('s3cr:et');
  });

  it('ignores other schemes and malformed headers', () => {
    expect(presentedToken(undefined)).toBeUndefined();
    expect(presentedToken('Token abc')).toBeUndefined();
    expect(presentedToken('Bearer')).toBeUndefined();
    expect(presentedToken(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
  });
});

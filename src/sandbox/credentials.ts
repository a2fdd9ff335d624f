/** Credentials of a sandbox run, derived from the seed so a rerun with the same seed gets the same ones. */
import { generateKeyPairSync } from 'node:crypto';
import { createPrng, deriveSeed } from './prng.js';
import { salesforceId } from './generator/ids.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface SandboxSecrets {
  hubspotAccessToken: string;
  /** The HubSpot app's client secret: signs webhooks and, with `hubspotClientId`, authenticates OAuth refreshes. */
  hubspotClientSecret: string;
  hubspotClientId: string;
  /** Refresh token of the app's install, exchanged at `POST /hubspot/oauth/v1/token`. */
  hubspotRefreshToken: string;
  portalId: number;
  appId: number;
  salesforceAccessToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  organizationId: string;
  username: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

// RSA key generation is the slowest part of a small sandbox's start; suites start many sandboxes.
const cache = new Map<number, SandboxSecrets>();

export function sandboxSecrets(seed: number): SandboxSecrets {
  const cached = cache.get(seed);
  if (cached) return cached;
  const secrets = createSecrets(seed);
  cache.set(seed, secrets);
  return secrets;
}

function createSecrets(seed: number): SandboxSecrets {
  const rng = createPrng(deriveSeed(seed, 'credentials'));
  const text = (n: number) => Array.from({ length: n }, () => ALPHABET[rng.int(0, ALPHABET.length - 1)]).join('');
  const organizationId = salesforceId('Organization', rng.int(1, 999_999));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    hubspotAccessToken: `pat-na1-${text(8)}-${text(4)}-${text(4)}-${text(4)}-${text(12)}`,
    hubspotClientSecret: `${text(8)}-${text(4)}-${text(4)}-${text(4)}-${text(12)}`,
    portalId: rng.int(10_000_000, 99_999_999),
    appId: rng.int(1_000_000, 9_999_999),
    salesforceAccessToken: `${organizationId.slice(0, 15)}!${text(96)}`,
    clientId: `3MVG9${text(80)}`,
    clientSecret: text(64).toUpperCase(),
    refreshToken: `5Aep861${text(80)}`,
    organizationId,
    username: 'integration@dealwatch-sandbox.example.com',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    // Drawn last, so that every credential above stays what it was for a given seed.
    hubspotClientId: `${text(8)}-${text(4)}-${text(4)}-${text(4)}-${text(12)}`,
    hubspotRefreshToken: `na1-${text(4)}-${text(4)}-${text(4)}-${text(4)}-${text(12)}`,
  };
}

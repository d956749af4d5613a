import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads `name` from the data folder, or writes what `create` makes there first (mode 0600,
 * exclusive, so two servers starting at once agree on one value). Secrets kept this way survive
 * restarts: sessions and tokens stay valid after the server comes back.
 */
function keptInDataDir(dataDir: string, name: string, create: () => string): string {
  const path = join(dataDir, name);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(path, 'utf8');
}

/** What the demo signs and seals with. */
export interface DemoSecrets {
  sessionSecret: string;
  /** Ed25519 private key (PKCS#8 PEM) that signs API access tokens. */
  jwtPrivateKey: string;
  /** Its public key (SPKI PEM), which verifies them. */
  jwtPublicKey: string;
}

/** The demo's secrets: the given session secret or the kept one, and the kept JWT key pair. */
export function loadSecrets(dataDir: string, sessionSecret: string | undefined): DemoSecrets {
  mkdirSync(dataDir, { recursive: true });
  const pair = JSON.parse(
    keptInDataDir(dataDir, 'jwt-ed25519.json', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      return JSON.stringify({ privateKey, publicKey });
    }),
  ) as { privateKey: string; publicKey: string };
  return {
    sessionSecret:
      sessionSecret ?? keptInDataDir(dataDir, 'session-secret', () => randomBytes(32).toString('base64url')),
    jwtPrivateKey: pair.privateKey,
    jwtPublicKey: pair.publicKey,
  };
}

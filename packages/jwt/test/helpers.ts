import { generateKeyPairSync, type KeyObject } from 'node:crypto';

/** Servers on 127.0.0.1 on a free port, as the core tests start them. */
export { listen, type TestServer as Listening } from '../../coatcheck/test/helpers/http.js';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export const rsa: KeyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const rsaSmall: KeyPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
export const ec256: KeyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const ec384: KeyPair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
export const ec521: KeyPair = generateKeyPairSync('ec', { namedCurve: 'P-521' });
export const ed25519: KeyPair = generateKeyPairSync('ed25519');

export const pem = (key: KeyObject) =>
  key.type === 'private'
    ? (key.export({ format: 'pem', type: 'pkcs8' }) as string)
    : (key.export({ format: 'pem', type: 'spki' }) as string);

export const secret = 'a-shared-secret-long-enough-for-hs256!';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** base64url of a JSON value, to hand-craft hostile tokens. */
export const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

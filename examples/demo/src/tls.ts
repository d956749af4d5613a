import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The demo's HTTPS certificate (self-signed, for localhost and 127.0.0.1) and its SPKI pin. */
export interface DemoCertificate {
  key: string;
  cert: string;
  /** base64 SHA-256 of the public key: what Chromium's `--ignore-certificate-errors-spki-list` takes. */
  spki: string;
}

/**
 * The certificate in `dataDir/tls/`, generated with openssl on first use. Chromium registers
 * device-bound sessions only on pages whose certificate it accepts, so the demo prints the pin.
 */
export function demoCertificate(dataDir: string): DemoCertificate {
  const dir = join(dataDir, 'tls');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-days',
        '365',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
  }
  const key = readFileSync(keyFile, 'utf8');
  const cert = readFileSync(certFile, 'utf8');
  const der = createPublicKey(cert).export({ type: 'spki', format: 'der' });
  return { key, cert, spki: createHash('sha256').update(der).digest('base64') };
}

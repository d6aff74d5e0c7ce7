import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from './load.js';
import { settingDefs } from './settings.js';

/** The TLS files the settings name, read, and their paths (for the refusal). */
export interface TlsFiles {
  cert: { path: string; pem: Buffer };
  key: { path: string; pem: Buffer };
  ca?: { path: string; pem: Buffer };
}

/** `server.tlsCertFile (TLS_CERT_FILE)`: the setting as the other start-up refusals name it. */
function setting(key: string): string {
  const env = settingDefs.find((d) => d.key === key)?.env;
  return env ? `${key} (${env})` : key;
}

/** OpenSSL's reason for refusing the options ("no start line", "key values mismatch"), if it refuses. */
function opensslRefusal(options: SecureContextOptions): string | undefined {
  try {
    createSecureContext(options);
    return undefined;
  } catch (err) {
    const { reason, message } = err as { reason?: unknown; message?: unknown };
    return typeof reason === 'string' ? reason : String(message);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Whether the CA file holds at least one certificate, each one readable. */
function holdsCertificates(pem: Buffer): boolean {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  return (
    blocks.length > 0 &&
    blocks.every((block) => {
      try {
        new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    })
  );
}

/**
 * The HTTPS files checked before the server is made from them, so that one OpenSSL cannot use (a
 * DER certificate, the key and certificate swapped, a key of another certificate, a key under a
 * passphrase) stops start-up in one line naming the setting and the file, not with OpenSSL's stack
 * trace from inside Fastify. A client CA file with no PEM certificate in it, which Node accepts
 * silently and which then refuses every client, is refused too.
 */
export function checkTlsFiles({ cert, key, ca }: TlsFiles): void {
  const certProblem = opensslRefusal({ cert: cert.pem });
  if (certProblem)
    throw new ConfigError(
      `${setting('server.tlsCertFile')}: ${cert.path} holds no PEM certificate OpenSSL can read (${certProblem})`,
    );
  const keyProblem = opensslRefusal({ key: key.pem });
  if (keyProblem) {
    const encrypted = /bad decrypt|interrupted or cancelled/i.test(keyProblem)
      ? ': it is encrypted, and the mediator takes no passphrase; give it the key decrypted (openssl pkey)'
      : '';
    throw new ConfigError(
      `${setting('server.tlsKeyFile')}: ${key.path} holds no PEM private key OpenSSL can read (${keyProblem})${encrypted}`,
    );
  }
  const pairProblem = opensslRefusal({ cert: cert.pem, key: key.pem });
  if (pairProblem)
    throw new ConfigError(
      `${setting('server.tlsKeyFile')}: ${key.path} is not the private key of the certificate in ${cert.path} (${pairProblem})`,
    );
  if (ca && !holdsCertificates(ca.pem))
    throw new ConfigError(
      `${setting('server.tlsClientCaFile')}: ${ca.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): no client certificate could be accepted`,
    );
}

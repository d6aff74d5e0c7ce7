/**
 * HTTPS files OpenSSL cannot use stop `serve` in one line naming the setting and the file, exit 1
 * (README "Configuration": "A bad value stops start-up with the setting and the reason"). A DER
 * certificate or a key of another certificate used to end start-up with OpenSSL's stack trace
 * from inside Fastify (`Error: error:0480006C:PEM routines::no start line at setCerts …`). The
 * other refusals (key and certificate swapped, a key under a passphrase, a client CA file with no
 * certificate, which Node took silently and which then refused every client) are checked on
 * checkTlsFiles itself. Certificates made fresh with openssl; skipped, and said, without it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { selfSigned } from '../../support/self-signed.js';
import { checkTlsFiles } from '../../../src/config/tls-files.js';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';
import { haveOpenssl } from '../../support/openssl.js';

/** Two self-signed certificates with their keys, `a` also as DER and its key under a passphrase. */
function makeFiles(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['a', 'b']) selfSigned(dir, name);
  ssl('x509', '-in', 'a.crt', '-outform', 'DER', '-out', 'a.der');
  ssl('pkey', '-in', 'a.key', '-aes256', '-passout', 'pass:Tls7Pass3phrase', '-out', 'a-encrypted.key');
  const file = (name: string) => path.join(dir, name);
  return { file, read: (name: string) => ({ path: file(name), pem: readFileSync(file(name)) }) };
}

/** `serve` in a minimal environment with `env` over it, run to its end. */
const serve = async (env: Record<string, string>) => cliToEnd(['serve'], await serveEnv(env));

const skip = haveOpenssl() ? false : 'TLS file checks skipped: openssl not found';

t.test('serve with TLS files OpenSSL refuses: one line naming the setting, exit 1', { skip }, async (t) => {
  const dir = tempDir(t, 'tls-files');
  const { file } = makeFiles(dir);
  const der = await serve({ DATA_DIR: dir, TLS_CERT_FILE: file('a.der'), TLS_KEY_FILE: file('a.key') });
  t.equal(der.code, 1, 'a DER certificate: exit 1');
  t.equal(
    der.stderr.trim(),
    `configuration error: server.tlsCertFile (TLS_CERT_FILE): ${file('a.der')} holds no PEM certificate OpenSSL can read (no start line)`,
    'a DER certificate: one line',
  );
  const other = await serve({ DATA_DIR: dir, TLS_CERT_FILE: file('a.crt'), TLS_KEY_FILE: file('b.key') });
  t.equal(other.code, 1, "another certificate's key: exit 1");
  t.equal(
    other.stderr.trim(),
    `configuration error: server.tlsKeyFile (TLS_KEY_FILE): ${file('b.key')} is not the private key of the certificate in ${file('a.crt')} (key values mismatch)`,
    "another certificate's key: one line",
  );
});

t.test('checkTlsFiles: swapped files, a key under a passphrase, a CA file with no certificate', { skip }, async (t) => {
  const dir = tempDir(t, 'tls-files-check');
  const { read } = makeFiles(dir);
  t.doesNotThrow(() => checkTlsFiles({ cert: read('a.crt'), key: read('a.key'), ca: read('b.crt') }), 'a usable set');
  t.throws(() => checkTlsFiles({ cert: read('a.key'), key: read('a.crt') }), {
    message: `server.tlsCertFile (TLS_CERT_FILE): ${read('a.key').path} holds no PEM certificate OpenSSL can read (no start line)`,
  });
  t.throws(() => checkTlsFiles({ cert: read('a.crt'), key: read('a-encrypted.key') }), {
    message: new RegExp(
      `^server\\.tlsKeyFile \\(TLS_KEY_FILE\\): ${read('a-encrypted.key').path} holds no PEM private key OpenSSL can read \\(.+\\): it is encrypted, and the mediator takes no passphrase`,
    ),
  });
  t.throws(() => checkTlsFiles({ cert: read('a.crt'), key: read('a.key'), ca: read('a.der') }), {
    message: `server.tlsClientCaFile (TLS_CLIENT_CA_FILE): ${read('a.der').path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): no client certificate could be accepted`,
  });
});

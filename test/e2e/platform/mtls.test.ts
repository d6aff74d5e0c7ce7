/**
 * Mutual TLS (TLS_CLIENT_CA_FILE), as OpenHIM's secured routes use it: the mediator serves HTTPS
 * and accepts only clients whose certificate is signed by the configured CA. Certificates are
 * made fresh with openssl for each run; the tier is skipped, and says so, where openssl is absent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { selfSigned } from '../../support/self-signed.js';
import { Agent, request } from 'undici';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { haveOpenssl } from '../../support/openssl.js';

/** A CA, a certificate it signs for `cn`, and the key; `ext` adds an extensions file (SAN). */
function makeCerts(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => selfSigned(dir, name);
  const leaf = (name: string, caName: string, ext?: string) => {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.crt`,
      ...(ext ? ['-extfile', ext] : []),
    );
  };
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ca('hie-ca');
  ca('rogue-ca');
  leaf('server', 'hie-ca', 'server.ext');
  leaf('openhim', 'hie-ca');
  leaf('intruder', 'rogue-ca');
  const read = (f: string) => readFileSync(path.join(dir, f));
  return { file: (f: string) => path.join(dir, f), read };
}

t.test('mutual TLS', { skip: haveOpenssl() ? false : 'mTLS tier skipped: openssl not found' }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const certs = makeCerts(dir);
  const settings = loadSettings({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    AUTH_PASSWORD: 'mtls-test-pw',
    TLS_CERT_FILE: certs.file('server.crt'),
    TLS_KEY_FILE: certs.file('server.key'),
    TLS_CLIENT_CA_FILE: certs.file('hie-ca.crt'),
  } as NodeJS.ProcessEnv);
  const mediator = await startMediator(settings);
  t.teardown(() => mediator.stop());
  t.match(mediator.url, /^https:\/\//, 'serves HTTPS');

  const get = (client?: string) =>
    request(`${mediator.url}/health`, {
      dispatcher: new Agent({
        connect: {
          ca: certs.read('hie-ca.crt'),
          ...(client ? { cert: certs.read(`${client}.crt`), key: certs.read(`${client}.key`) } : {}),
        },
      }),
    });

  const ok = await get('openhim');
  t.equal(ok.statusCode, 200, 'a client certificate from the configured CA is let in');
  await ok.body.dump();
  await t.rejects(get(), 'no client certificate: the handshake is refused');
  await t.rejects(get('intruder'), 'a certificate from another CA is refused');
});

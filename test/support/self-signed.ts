import { execFileSync } from 'node:child_process';

/**
 * A throw-away self-signed certificate `<name>.crt` and its unencrypted key `<name>.key` in `dir`,
 * made by openssl; `altName` (e.g. `IP:127.0.0.1`) for a client that checks the host it dialled.
 */
export function selfSigned(dir: string, name: string, altName?: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      ...(altName ? ['-addext', `subjectAltName=${altName}`] : []),
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    ],
    { cwd: dir, stdio: 'pipe' },
  );
}

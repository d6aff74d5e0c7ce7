import { execFileSync } from 'node:child_process';

/** A throw-away self-signed certificate `<name>.crt` and its unencrypted key `<name>.key` in `dir`, made by openssl. */
export function selfSigned(dir: string, name: string): void {
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
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    ],
    { cwd: dir, stdio: 'pipe' },
  );
}

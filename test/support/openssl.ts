import { execFileSync } from 'node:child_process';

/** Whether the openssl CLI is here; the TLS tests make their certificates with it and say they are skipped otherwise. */
export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

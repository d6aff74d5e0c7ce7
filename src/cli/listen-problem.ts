/**
 * Why `serve` could not listen, in the operator's words and naming the setting to change, or
 * undefined for any other error. Node's listen error is a stack trace through net.js that names
 * neither PORT nor HOST.
 */
export function listenProblem(err: unknown): string | undefined {
  const e = err as { syscall?: string; code?: string; address?: string; port?: number } | undefined;
  if (e?.syscall !== 'listen') return undefined;
  const where = e.port !== undefined ? `${e.address ?? ''}:${e.port}` : String(e.address ?? '');
  switch (e.code) {
    case 'EADDRINUSE':
      return `server.port (PORT): ${where} is already in use by another process (another mediator still running?); stop it or choose another PORT`;
    case 'EACCES':
      return `server.port (PORT): ${where} may not be listened on by this user (ports below 1024 need privileges); choose another PORT`;
    case 'EADDRNOTAVAIL':
      return `server.host (HOST): ${e.address ?? where} is not an address of this machine; choose another HOST`;
    default:
      return undefined;
  }
}

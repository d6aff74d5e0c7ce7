/**
 * A reader that stops early (`outbox list | head`, a pager quit) closes the command's stdout, and
 * Node throws the next write's EPIPE as an unhandled 'error' event: a stack trace on the
 * operator's terminal after the rows they asked for. A shell tool ends quietly instead, with the
 * exit code it had; what the command did (a retry, a drop) was done before it printed.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

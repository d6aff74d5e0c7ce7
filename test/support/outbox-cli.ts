import { outboxCommand } from '../../src/cli/outbox.js';

/**
 * `cli outbox <args>` run in this process against `databaseUrl`: its exit code and what it printed
 * on stdout and stderr (both captured, so a test's TAP output stays clean).
 */
export async function outboxCli(
  databaseUrl: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const [write, writeErr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof writeErr;
  try {
    await outboxCommand().parseAsync(['--database-url', databaseUrl, ...args], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
}

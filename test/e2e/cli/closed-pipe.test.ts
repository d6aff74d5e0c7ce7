/**
 * An operator command piped into a reader that stops early (`outbox list | head -1`,
 * `jobs list | head`) ends quietly: no EPIPE stack trace on stderr, exit 0. Before, Node threw the
 * next write's EPIPE as an unhandled 'error' event, a stack trace after the rows asked for.
 * A separate process over a SQLite file, as an operator runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';

const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

/** Runs the CLI, reads its first line of output, then closes the pipe as `head -1` does. */
function firstLineThenClose(
  dataDir: string,
  args: string[],
): Promise<{ code: number | null; line: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cliPath, ...args], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, line: out.split('\n')[0], stderr }));
  });
}

t.test('outbox list | head -1: the first row, then a quiet end', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-closed-pipe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  // enough rows that the list is still writing when the reader has gone
  for (let i = 0; i < 3000; i++)
    await store.recordWrite({
      id: `job-${String(i).padStart(5, '0')}`,
      flow: 'order',
      system: 'openlmis',
      idempotencyKey: `order|app|${i}`,
      payloadHash: `h-${i}`,
      payload: { order: i },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: Date.now() + 3_600_000,
      createdAt: Date.now(),
    });
  await store.close();

  const res = await firstLineThenClose(dir, ['outbox', 'list', '--limit', '3000']);
  t.match(res.line, /^job-\d{5} +pending/, 'the first row arrived');
  t.notMatch(res.stderr, /EPIPE|Unhandled 'error' event|\n\s+at /, `no stack trace (${res.stderr.slice(0, 200)})`);
  t.equal(res.code, 0, 'exit 0');
});

/**
 * npx tsx bench/outbox-instructions.ts [TREE] — instructions per accepted write of the SQLite store
 * and the outbox alone, counted by callgrind (which load does not distort, unlike bench:outbox's
 * CPU per write). Each write is what a create asks of them: acceptWrite of a SupplyRequest with
 * its link and OpenHIM transaction id, delivered at once by an in-process handler that journals
 * one step (no HTTP), its end recorded, then the read-back's first sighting written ahead and
 * awaited on disk. 8 writers in flight.
 *
 * The writer runs under `valgrind --tool=callgrind --instr-atstart=no` (start-up uncounted),
 * warmed with BENCH_WARMUP (2000) writes; then, BENCH_REPEATS (3) times: zero, N1 (200) writes,
 * dump; zero, N2 (800) writes, dump; per write = (I(N2) − I(N1)) / (N2 − N1), each window without
 * V8's compile work (as bench/instructions.ts). The database grows during a run, so repeat k of
 * one tree compares with repeat k of another (run two trees at once: TREE is a `git archive`
 * with node_modules linked; default this one). BENCH_KEEP_DUMPS=1 keeps the dumps for
 * bench/callgrind-functions.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
const N1 = Number(process.env.BENCH_N1 ?? 200);
const N2 = Number(process.env.BENCH_N2 ?? 800);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The writer (under valgrind): reads a count per line on stdin, makes that many writes, answers "ok". */
async function writer(tree: string, file: string): Promise<void> {
  const { Outbox } = await import(path.join(tree, 'src/outbox/outbox.ts'));
  const { openStore } = await import(path.join(tree, 'src/store/index.ts'));
  const { supplyRequest } = await import(path.join(tree, 'test/support/samples.ts'));
  const store = await openStore({ databaseUrl: `sqlite:${file}` });
  // deadlines far off: valgrind runs ~50× slower, and a write answered 202 would end outside its window
  const options = { concurrency: { default: 32 }, deadlineMs: 600_000, attemptTimeoutMs: 600_000, leaseMs: 1_200_000 };
  const outbox = new Outbox({ store, options });
  outbox.register(
    'orders',
    'noop',
    async (job: { idempotencyKey: string }, journal: { run<T>(step: string, f: () => Promise<T>): Promise<T> }) =>
      journal.run('write', async () => ({
        system: 'noop',
        ids: { order: `up-${job.idempotencyKey}` },
        status: 'applied',
      })),
  );
  outbox.startWorker();
  let sequence = 0;
  const one = async () => {
    const n = ++sequence;
    const id = `sr-${n}`;
    const outcome = await outbox.acceptWrite({
      flow: 'orders',
      system: 'noop',
      idempotencyKey: `ORD-${n}`,
      payload: { ...supplyRequest({ order: `ORD-${n}` }), id },
      links: [{ flow: 'orders', fhirId: id }],
      transactionId: `tx-${n}`,
    });
    if (outcome.kind !== 'done') throw new Error(`write ${n} not done: ${JSON.stringify(outcome)}`);
    const ahead = store.writesAhead();
    await ahead.firstSeen('orders', [{ fhirId: id, version: `v-${n}` }], Date.now());
    await ahead.onDisk();
  };
  process.stdout.write('ready\n');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    let left = Number(line);
    if (!left) break;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (left-- > 0) await one();
      }),
    );
    (globalThis as { gc?: (o: unknown) => void }).gc?.({ type: 'minor' });
    process.stdout.write('ok\n');
  }
  await outbox.stop();
  await store.close();
  process.exit(0);
}

const COMPILE_ENTRIES =
  /^\s*([\d,]+) .*v8::internal::Runtime_(CompileLazy|CompileBaseline|InstallBaselineCode|CompileOptimized|CompileOptimizedOSR|CompileOptimizedOSRFromMaglev)\(/;

/** A dump's instructions without V8's compiling (COMPILE_ENTRIES, inclusive). */
function withoutCompiling(dump: string, total: number): number {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dump], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  let compile = 0;
  for (const line of text.split('\n')) {
    const match = COMPILE_ENTRIES.exec(line);
    if (match) compile += Number(match[1].replaceAll(',', ''));
  }
  return total - compile;
}

async function drive(tree: string): Promise<void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-instructions-'));
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--instr-atstart=no',
      `--callgrind-out-file=${path.join(out, 'cg.out')}`,
      process.execPath,
      '--expose-gc',
      '--single-threaded',
      '--no-memory-reducer',
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--writer',
      tree,
      path.join(out, 'bench.db'),
    ],
    { cwd: path.resolve(here, '..'), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error('the writer ended');
    return r.value as string;
  };
  const control = (...args: string[]) =>
    execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  const writes = async (n: number) => {
    child.stdin!.write(`${n}\n`);
    await next();
  };
  const dump = async () => {
    const before = new Set(fs.readdirSync(out));
    control('-d');
    for (;;) {
      for (const f of fs.readdirSync(out).filter((f) => f.startsWith('cg.out') && !before.has(f))) {
        const match = /^summary: (\d+)/m.exec(fs.readFileSync(path.join(out, f), 'utf8'));
        if (match) return withoutCompiling(path.join(out, f), Number(match[1]));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await next();
  await writes(WARMUP);
  control('-i', 'on');
  await writes(50);
  const per: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    control('-z');
    await writes(N1);
    const i1 = await dump();
    control('-z');
    await writes(N2);
    const i2 = await dump();
    per.push((i2 - i1) / (N2 - N1));
    console.log(`repeat ${r + 1}: ${(per[r] / 1000).toFixed(1)}k instructions per write`);
  }
  child.stdin!.write('0\n');
  await new Promise((r) => child.once('exit', r));
  const sorted = [...per].sort((a, b) => a - b);
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  console.log(`${tree}: median ${k(sorted[sorted.length >> 1])} (${k(sorted[0])}-${k(sorted.at(-1)!)})`);
  if (process.env.BENCH_KEEP_DUMPS === '1') console.log(`dumps kept in ${out}`);
  else fs.rmSync(out, { recursive: true, force: true });
}

if (process.argv[2] === '--writer') await writer(process.argv[3], process.argv[4]);
else await drive(path.resolve(process.argv[2] ?? path.resolve(here, '..')));

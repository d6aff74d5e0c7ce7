/**
 * The servers of bench:http and bench:instructions run as production runs them: compiled by tsc
 * to JavaScript (the Dockerfile and `npm start` run dist/), not through tsx. tsx's esbuild keeps
 * function names by wrapping each function it creates in a `__name(fn, 'name')` call, so every
 * closure made per request (the validation walk's, the envelope's) pays a defineProperty that
 * the built code never runs: about 5 % of the edge's CPU per request in session 13.
 *
 * compileSides(tree) compiles bench/http/side.ts and everything it imports from that tree (the
 * whole of src/, through main.ts) into a scratch directory beside the tree's package data, which
 * the code finds by walking up to a package.json (src/platform/package-root.ts). BENCH_TSX=1
 * runs the sides through tsx as before.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const runsThroughTsx = process.env.BENCH_TSX === '1';

/** What a side's node process is started with: the script and the node arguments before it. */
export interface SideScript {
  script: string;
  execArgv: string[];
  /** Removes the compiled copy (nothing for tsx). */
  remove(): void;
}

/** Package data the compiled code reads at run time, linked from the tree. */
const PACKAGE_DATA = ['package.json', 'fhir-mappings', 'mediator-config.json', 'generated', 'node_modules'];

/** `entry` (default bench/http/side.ts) is the script compiled with all it imports: bench/openlmis-instructions.ts compiles src/cli/index.ts. */
export async function compileSides(tree: string, entry = 'bench/http/side.ts'): Promise<SideScript> {
  if (runsThroughTsx) return { script: path.join(tree, entry), execArgv: ['--import', 'tsx'], remove() {} };
  const built = entry.replace(/\.ts$/, '.js');
  const out = mkdtempSync(path.join(tmpdir(), 'bench-sides-'));
  const config = path.join(out, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(tree, 'tsconfig.json'),
      compilerOptions: { noEmit: false, rootDir: tree, outDir: out, sourceMap: false, incremental: false },
      files: [path.join(tree, entry)],
      include: [],
    }),
  );
  const tsc = path.join(tree, 'node_modules', 'typescript', 'bin', 'tsc');
  // type errors elsewhere in a tree being worked on do not stop tsc from writing the JavaScript
  await run(process.execPath, [tsc, '-p', config], { cwd: tree, maxBuffer: 64 << 20 }).catch((err: unknown) => {
    if (!existsSync(path.join(out, built))) throw err;
  });
  for (const name of PACKAGE_DATA)
    if (existsSync(path.join(tree, name))) symlinkSync(path.join(tree, name), path.join(out, name));
  return {
    script: path.join(out, built),
    execArgv: [],
    remove: () => rmSync(out, { recursive: true, force: true }),
  };
}

/**
 * V8's compile work in a callgrind dump, shared by bench/instructions.ts and
 * bench/openlmis-instructions.ts: each window is also counted without it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * V8's runtime entries into its compilers (lazy bytecode, Sparkplug, TurboFan, on-stack
 * replacement). Session 17: after 3,000 warm-up creates TurboFan still took ~25 % of a window's
 * instructions, re-marking hot Fastify and Node functions at random, so two trees' windows
 * differed by more than a 5 % change; the count without these entries' inclusive cost (what they
 * call: parsing, graph building, code generation, the GCs they trigger) shows the request's own
 * work. None of them runs JavaScript, so no entry's inclusive cost holds another's.
 */
export const COMPILE_ENTRIES =
  /^\s*([\d,]+) .*v8::internal::Runtime_(CompileLazy|CompileBaseline|InstallBaselineCode|CompileOptimized|CompileOptimizedOSR|CompileOptimizedOSRFromMaglev)\(/;

/** The inclusive instructions of COMPILE_ENTRIES in one dump (callgrind_annotate reads it). */
export async function compileInstructions(file: string): Promise<number> {
  const { stdout } = await run('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    maxBuffer: 256 * 1024 * 1024,
  });
  let sum = 0;
  for (const line of stdout.split('\n')) {
    const match = COMPILE_ENTRIES.exec(line);
    if (match) sum += Number(match[1].replaceAll(',', ''));
  }
  return sum;
}

/**
 * Issue 18: production runs compiled JavaScript. `npm start` builds first (prestart) and then runs
 * the same compiled entry, with plain node, as the Docker image's CMD; that entry is where
 * tsconfig.build.json compiles src/cli/index.ts. (test/e2e/production-build.test.ts starts that
 * build laid out as the image and gets /health 200.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

const root = path.resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

t.test('npm start builds, then runs the compiled CLI as the image does', async (t) => {
  t.match(pkg.scripts.prestart, /^npm run build$/, 'prestart builds');
  t.match(pkg.scripts.build, /tsc -p tsconfig\.build\.json/, 'the build compiles with tsconfig.build.json');
  const start = pkg.scripts.start.split(/\s+/);
  t.equal(start[0], 'node', 'npm start runs plain node, not tsx');
  const runtime = dockerfile.split(/^FROM /m).pop()!;
  const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(runtime)![1]) as string[];
  t.same(start, cmd, 'the same command as the image CMD');

  const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as {
    extends: string;
    include: string[];
  };
  const base = JSON.parse(readFileSync(path.join(root, build.extends), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  t.ok(build.include.includes('src'), 'the build includes src/');
  const emitted = path.join(
    base.compilerOptions.outDir,
    path.relative(base.compilerOptions.rootDir, 'src/cli/index.ts').replace(/\.ts$/, '.js'),
  );
  t.equal(path.normalize(start[1]), path.normalize(emitted), `the script is what the build emits for src/cli/index.ts`);
  t.equal(start[2], 'serve', 'and it serves');
});

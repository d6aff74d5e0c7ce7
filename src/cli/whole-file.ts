import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  lstatSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * Writes `file` whole or not at all: the text goes to a part beside it, renamed over it, so a run
 * stopped mid-write (killed, a full disk) leaves the file before it, never one cut short. What a
 * plain write did is kept: a symbolic link is written through (the file it names is replaced, the
 * link stays), a file we may not write is refused (EACCES) rather than replaced, and the file keeps
 * its mode. The part's name is this write's own, so two runs writing the same directory never
 * rename each other's half-written parts.
 */
export function writeWhole(file: string, text: string): void {
  let part: string | undefined;
  try {
    const target = lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() ? realpathSync(file) : file;
    const before = statSync(target, { throwIfNoEntry: false });
    part = path.join(
      path.dirname(target),
      `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.part`,
    );
    if (before) accessSync(target, constants.W_OK);
    writeFileSync(part, text);
    if (before) chmodSync(part, before.mode & 0o7777);
    renameSync(part, target);
  } catch (err) {
    if (part) rmSync(part, { force: true });
    // named as the file the person asked for, not the part beside it (cli/index.ts fileProblem)
    Object.assign(err as NodeJS.ErrnoException, { path: file, syscall: 'write' });
    throw err;
  }
}

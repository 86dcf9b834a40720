/**
 * The only way the view reaches a file: a path relative to the pipeline root, checked to stay
 * inside it (no absolute paths, no `..`, no symbolic link leading out). The page names files by
 * target, but a crafted request must not be able to read anything else on the machine.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { err, ok, type Result } from '../util/result.ts';

export interface PipelineFile {
  /** Absolute path, inside the root. */
  absolute: string;
  /** As given, relative to the root. */
  relative: string;
  size: number;
  mtimeMs: number;
}

export type FileRefusal = { kind: 'outside-root' | 'not-found' | 'not-a-file'; message: string };

export class PipelineFiles {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  /** The regular file at `relative` under the root, or why it cannot be read. */
  file(relative: string): Result<PipelineFile, FileRefusal> {
    const outside = (why: string) =>
      err<FileRefusal>({ kind: 'outside-root', message: `${JSON.stringify(relative)} ${why}` });
    if (relative === '' || relative.includes('\0')) return outside('is not a file name');
    if (path.isAbsolute(relative) || /^[A-Za-z]:/.test(relative))
      return outside('is not relative to the pipeline root');
    const absolute = path.resolve(this.#root, relative);
    if (!isInside(this.#root, absolute)) return outside('leads outside the pipeline root');
    let real: string;
    let realRoot: string;
    try {
      real = realpathSync(absolute);
      realRoot = realpathSync(this.#root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        return err({ kind: 'not-found', message: `${relative} does not exist` });
      }
      throw error;
    }
    if (!isInside(realRoot, real)) return outside('is a link leading outside the pipeline root');
    const st = statSync(real);
    if (!st.isFile()) return err({ kind: 'not-a-file', message: `${relative} is not a regular file` });
    return ok({ absolute: real, relative, size: st.size, mtimeMs: st.mtimeMs });
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

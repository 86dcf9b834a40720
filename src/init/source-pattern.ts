/**
 * What the user pointed `pipeline init` at — a glob (`data/*.csv`), the files a shell expanded it
 * to, or one file (`--from FILE`) — as the first input pattern of the rules: `data/{file}.csv`
 * with a wildcard for many files, the file's own path for one.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { err, ok, type Result } from '../util/result.ts';

export interface SourcePattern {
  /** The rules' first input, relative to the directory of the config (POSIX separators). */
  pattern: string;
  /** The files it matches now, relative to the same directory, sorted. */
  files: string[];
  /** True when the pattern holds the `{WILDCARD}` placeholder (many files). */
  wildcard: boolean;
}

/** Stands for the wildcard's name until the caller knows which name is free (not a field of the records). */
export const WILDCARD = '\u0000';

/** `args` are absolute or relative to `cwd`, the directory the pattern is made relative to. */
export async function resolveSourcePattern(
  args: readonly string[],
  cwd: string,
): Promise<Result<SourcePattern, string>> {
  if (args.length === 0) return err('name the dataset: pipeline init data/*.csv, or pipeline init --from FILE');
  const relative: string[] = [];
  for (const arg of args) {
    const rel = path.relative(cwd, path.resolve(cwd, arg)).split(path.sep).join('/');
    if (rel.startsWith('../') || path.isAbsolute(rel)) {
      return err(`${arg} is outside ${cwd}; run pipeline init in a directory that contains the data`);
    }
    if (/[{}]/.test(rel)) return err(`${arg}: "{" and "}" in paths would read as wildcards; rename the file`);
    relative.push(rel);
  }
  if (relative.length === 1 && /[*?[]/.test(relative[0]!)) return fromGlob(relative[0]!, cwd);
  for (const rel of relative) {
    if (!existsSync(path.join(cwd, rel)) || !statSync(path.join(cwd, rel)).isFile()) return err(`no such file: ${rel}`);
  }
  if (relative.length === 1) return ok({ pattern: relative[0]!, files: relative, wildcard: false });
  return fromFileList(relative);
}

async function fromGlob(rel: string, cwd: string): Promise<Result<SourcePattern, string>> {
  const dir = path.posix.dirname(rel);
  const base = path.posix.basename(rel);
  const stars = base.split('*').length - 1;
  if (/[*?[]/.test(dir) || stars !== 1 || /[?[]/.test(base)) {
    return err(`${rel}: use one "*" in the file name (like data/*.csv); directories cannot be globbed`);
  }
  const files = (await glob(rel, { cwd, onlyFiles: true })).sort();
  if (files.length === 0) return err(`no file matches ${rel}`);
  return ok({ pattern: path.posix.join(dir, base.replace('*', WILDCARD)), files, wildcard: true });
}

/** Files a shell expanded: one directory, and the name part they do not share becomes the wildcard. */
function fromFileList(files: string[]): Result<SourcePattern, string> {
  const dirs = new Set(files.map((f) => path.posix.dirname(f)));
  if (dirs.size > 1) return err(`the files are in different directories (${[...dirs].join(', ')}); name one glob`);
  const names = files.map((f) => path.posix.basename(f));
  let prefix = names[0]!;
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  let suffix = names[0]!.slice(prefix.length);
  for (const name of names) while (!name.slice(prefix.length).endsWith(suffix)) suffix = suffix.slice(1);
  if (!suffix.includes('.')) return err('the files do not share an extension; name one glob, like data/*.csv');
  const dir = [...dirs][0]!;
  return ok({
    pattern: path.posix.join(dir, `${prefix}${WILDCARD}${suffix}`),
    files: [...files].sort(),
    wildcard: true,
  });
}

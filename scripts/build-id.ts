/**
 * The id of a build of the tool (src/util/build-id.ts): a hash of every file under src/ and of the
 * package's manifest and lockfile (its version and its dependencies' versions), so two builds
 * share an id only when they were built from the same code.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export async function computeBuildId(repo: string): Promise<string> {
  const entries = await readdir(path.join(repo, 'src'), { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(repo, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
    .concat(['package.json', 'package-lock.json']);
  const hash = createHash('sha256');
  for (const rel of files) {
    const content = await readFile(path.join(repo, rel)).catch(() => Buffer.alloc(0));
    hash.update(`${rel}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Adds the state directory to the project's `.gitignore` (creating it when there is none), once:
 * the state holds the request cache and batch ledgers, which belong to one machine, not to history.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Whether the entry was added (false: it was already there). */
export async function ignoreStateDir(dir: string, stateDir: string): Promise<boolean> {
  const file = path.join(dir, '.gitignore');
  const entry = `${stateDir.replace(/\/+$/, '')}/`;
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => [entry, `/${entry}`, entry.slice(0, -1), `/${entry.slice(0, -1)}`].includes(l))) return false;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  await writeFile(file, `${text}${separator}# pipeline's state: request cache, batch ledgers, lock\n${entry}\n`);
  return true;
}

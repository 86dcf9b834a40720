/**
 * Opens a JSON-lines state file (a request cache, an online journal, the spend log) for
 * appending. A new file gets the state header first (state-format.ts); an existing one is checked
 * for its format before a byte is written (a newer one is refused: NewerStateError), and when a
 * crash left its last line torn, the next line starts on a fresh one so that it stays whole.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isStateHeaderLine, STATE_HEADER } from './state-format.ts';

/** Enough of the file's start to hold its header line (19 bytes today). */
const HEAD_BYTES = 256;

export async function openStateLines(file: string): Promise<FileHandle> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a+');
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      await handle.write(`${STATE_HEADER}\n`);
      return handle;
    }
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const text = head.toString('utf8');
    const end = text.indexOf('\n');
    isStateHeaderLine(end === -1 ? text : text.slice(0, end), file);
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write('\n');
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

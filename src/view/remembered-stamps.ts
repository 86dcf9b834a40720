/**
 * File stamps for a view that refreshes every second or so: each refresh stats files afresh (a new
 * instance), but a file's content hash is remembered across refreshes while its mtime and size stay
 * the same — the engine's own fast path, applied to files no state record knows yet (the sources of
 * targets never built), which would otherwise be hashed again on every refresh.
 */
import { FileStamps } from '../engine/file-stamps.ts';
import type { FileStamp } from '../engine/state-store.ts';

export type StampMemory = Map<string, FileStamp>;

export class RememberedStamps extends FileStamps {
  constructor(private readonly memory: StampMemory) {
    super();
  }

  override async stamp(file: string, known?: FileStamp): Promise<FileStamp | undefined> {
    const st = await this.stat(file);
    if (!st) {
      this.memory.delete(file);
      return undefined;
    }
    const remembered = this.memory.get(file);
    const fresh = await super.stamp(
      file,
      remembered && remembered.mtimeMs === st.mtimeMs && remembered.size === st.size ? remembered : known,
    );
    if (fresh) this.memory.set(file, fresh);
    return fresh;
  }
}

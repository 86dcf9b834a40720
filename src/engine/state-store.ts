/**
 * One record per target under `<root>/<stateDir>/targets/`, written atomically only after the
 * target's output is complete (or, for a failure, after the failure is known). A missing, old or
 * unreadable record means "stale", never an error: the worst case is re-checking work, and remote
 * stages keep their own ledger, so nothing paid for is lost (ninja's build log rule).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { StageFailure, TokenUsage } from '../stages/types.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { isTargetRecord, type TargetRecord } from './target-record.ts';

export type { FileStamp, TargetRecord } from './target-record.ts';

export class StateStore {
  constructor(readonly dir: string) {}

  #file(target: string): string {
    return path.join(this.dir, 'targets', `${target}.json`);
  }

  /** Synchronous read (a record is a few hundred bytes): the promise form's round trips dominated no-op builds. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async so callers always get a promise, errors included
  async read(target: string): Promise<TargetRecord | undefined> {
    let text: string;
    try {
      text = readFileSync(this.#file(target), 'utf8');
    } catch (error) {
      // No record: never built. Anything else (EMFILE, EACCES…) must not pass for "no record".
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isTargetRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined; // torn or hand-edited: stale, rebuilt
    }
  }

  async write(record: TargetRecord): Promise<void> {
    await writeFileAtomic(this.#file(record.target), `${JSON.stringify(record, null, 2)}\n`);
  }

  async recordFailure(
    base: Omit<TargetRecord, 'failure' | 'output' | 'builtAt'>,
    failure: StageFailure,
    at: number,
    usage?: TokenUsage,
  ): Promise<void> {
    await this.write({ ...base, ...(usage ? { usage } : {}), failure: { ...failure, at } });
  }

  async remove(target: string): Promise<void> {
    await rm(this.#file(target), { force: true });
  }
}

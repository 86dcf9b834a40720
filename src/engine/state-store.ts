/**
 * One record per target under `<root>/<stateDir>/targets/`, written atomically only after the
 * target's output is complete (or, for a failure, after the failure is known). A missing, old or
 * unreadable record means "stale", never an error: the worst case is re-checking work, and remote
 * stages keep their own ledger, so nothing paid for is lost (ninja's build log rule).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { StageFailure, TokenUsage } from '../stages/types.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';

const fileStamp = z.object({ sha256: z.string(), mtimeMs: z.number(), size: z.number() });
export type FileStamp = z.infer<typeof fileStamp>;

const recordSchema = z.object({
  version: z.literal(1),
  target: z.string(),
  rule: z.string(),
  /** Hash of the stage's canonical config alone, to explain "config changed". */
  configHash: z.string(),
  /** Hash of config + input contents: the target is up to date when this still matches. */
  fingerprint: z.string(),
  inputs: z.record(z.string(), fileStamp),
  output: fileStamp.optional(),
  builtAt: z.number().optional(),
  usage: z.object({ input: z.number(), output: z.number() }).optional(),
  costUsd: z.number().optional(),
  /** Built, but a later build must run it again (e.g. requests to retry), and why. */
  retry: z.string().optional(),
  /** Set when the last run failed; the target is then stale and retried by the next build. */
  failure: z
    .object({
      reason: z.string(),
      message: z.string(),
      file: z.string().optional(),
      line: z.number().optional(),
      details: z.array(z.string()).optional(),
      at: z.number(),
    })
    .optional(),
});

export type TargetRecord = z.infer<typeof recordSchema>;

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
      const parsed = recordSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
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

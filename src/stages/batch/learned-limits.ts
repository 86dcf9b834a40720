/**
 * What the provider has told us about its enqueued-token limits, kept per model in the pipeline's
 * state (`<stateDir>/provider-limits.json`, `.pipeline/` by default) so every later build plans within them with no flag:
 *
 * - the limit itself, parsed from a `token_limit_exceeded` error ("… Limit: 200,000 enqueued
 *   tokens …");
 * - how the provider's token count compares with our estimate (`ratio`, never below 1): raised
 *   when a batch sent within a budget we believed safe still fails on the limit, and learned from
 *   billed prompt tokens once results arrive.
 *
 * Planning keeps `estimate × ratio` under `limit × SAFETY`. Written only by a build (under the
 * lock), atomically; a file a newer llmake wrote (its `version`, the state format) is refused,
 * never read as "nothing learned" and overwritten.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import { checkFormat, STATE_FORMAT } from '../../util/state-format.ts';

/** Share of a learned provider limit we plan to fill: room for estimate noise. Documented in the README. */
export const SAFETY = 0.9;

const modelSchema = z.object({
  /** The provider's enqueued-token limit, in its own count. */
  limit: z.number().int().positive().optional(),
  limitSeenAt: z.string().optional(),
  /** The provider's token count per token of our estimate (≥ 1). */
  ratio: z.number().min(1).optional(),
  ratioFrom: z.string().optional(),
});
const fileSchema = z.object({ version: z.literal(STATE_FORMAT), models: z.record(z.string(), modelSchema) });
type ModelLimits = z.output<typeof modelSchema>;

/** `stateDir`: the absolute state directory (the config's `stateDir` under the root). */
export function limitsFile(stateDir: string): string {
  return path.join(stateDir, 'provider-limits.json');
}

/** The limit stated in a provider's enqueued-token error, if it states one. */
export function parseEnqueuedLimit(message: string | undefined): number | undefined {
  // OpenAI: "… Limit: 200,000 enqueued tokens …"; Azure: "… the configured limit of 30K for the deployment …".
  const openai = /limit:\s*([\d,_ ]+)\s*enqueued tokens/i.exec(message ?? '');
  if (openai) return positive(Number(openai[1]!.replace(/[,_ ]/g, '')));
  const azure = /configured limit of\s*([\d.]+)\s*([KMB]?)\b/i.exec(message ?? '');
  if (!azure) return undefined;
  const scale = { '': 1, K: 1e3, M: 1e6, B: 1e9 }[azure[2]!.toUpperCase() as '' | 'K' | 'M' | 'B'];
  return positive(Math.round(Number(azure[1]) * scale));
}

function positive(n: number): number | undefined {
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export class LearnedLimits {
  #dirty = false;
  private constructor(
    readonly file: string,
    private readonly models: Record<string, ModelLimits>,
  ) {}

  /** Reads the file; a missing or unreadable one means nothing learned yet; a newer one throws NewerStateError. */
  static load(stateDir: string): LearnedLimits {
    const file = limitsFile(stateDir);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return new LearnedLimits(file, {});
    }
    if (typeof value === 'object' && value !== null) checkFormat((value as { version?: unknown }).version, file);
    const parsed = fileSchema.safeParse(value);
    return new LearnedLimits(file, parsed.success ? parsed.data.models : {});
  }

  limit(model: string): number | undefined {
    return this.models[model]?.limit;
  }

  ratio(model: string): number {
    return this.models[model]?.ratio ?? 1;
  }

  /**
   * The most estimated tokens of `model` to keep enqueued: the configured limit (the user's own
   * margin) or the learned one at SAFETY, whichever is lower, divided by the learned ratio.
   */
  budget(model: string, configured: number | undefined): number | undefined {
    const learned = this.limit(model);
    const caps = [configured, learned !== undefined ? learned * SAFETY : undefined].filter(
      (n): n is number => n !== undefined,
    );
    return caps.length > 0 ? Math.floor(Math.min(...caps) / this.ratio(model)) : undefined;
  }

  /** A batch failed on the limit: the provider's own figure, kept for every later plan. */
  learnLimit(model: string, limit: number, at: string): void {
    this.models[model] = { ...this.models[model], limit, limitSeenAt: at };
    this.#dirty = true;
  }

  /**
   * A batch failed on the limit although it was sent within a budget we believed safe: the
   * provider counts more than we estimate. Our view of what was enqueued at its validation is not
   * exact (batches finish and start around it), so the ratio is raised step by step (×1.25, at
   * most 3) rather than computed from one sample; a failure sent with no known limit says nothing
   * about the ratio.
   */
  raiseRatio(model: string, batchId: string): void {
    const m = { ...this.models[model] };
    m.ratio = Math.min(3, (m.ratio ?? 1) * 1.25);
    m.ratioFrom = `${batchId} failed on the limit although sent within the planned budget`;
    this.models[model] = m;
    this.#dirty = true;
  }

  /** A part answered in full: the prompt tokens billed against what we estimated for it. */
  learnFromUsage(model: string, billed: number, estimated: number, batchId: string): void {
    if (estimated <= 0 || billed <= estimated * 1.02) return; // our estimate held: nothing to learn
    const ratio = Math.min(10, billed / estimated);
    const m = { ...this.models[model] };
    if (ratio <= (m.ratio ?? 1)) return;
    m.ratio = ratio;
    m.ratioFrom = `${batchId} billed ${billed.toLocaleString('en-US')} prompt tokens where ${estimated.toLocaleString('en-US')} were estimated`;
    this.models[model] = m;
    this.#dirty = true;
  }

  async save(): Promise<void> {
    if (!this.#dirty) return;
    await writeFileAtomic(this.file, `${JSON.stringify({ version: STATE_FORMAT, models: this.models }, null, 2)}\n`);
    this.#dirty = false;
  }
}

/**
 * Requests answered over time. The exact history comes from the results files themselves: each
 * answered line carries the time its completion was created (`response.body.created`), read once
 * per file version. Batches still in flight have no results file yet, so their answered counts
 * are sampled at each refresh; once a target's results file is written (after the sample), its
 * lines take over and the sample no longer counts for it — nothing is counted twice.
 */
import { readJsonl } from '../util/jsonl.ts';
import { isRecord } from '../stages/record-template.ts';
import { readResultLine } from '../stages/result-line.ts';
import type { PipelineFiles } from './pipeline-files.ts';
import type { ViewTimeline } from './snapshot.ts';

interface History {
  version: string;
  /** When its results file was last written (ms). */
  writtenAt: number;
  /** Answer times (ms), sorted. */
  times: number[];
}

interface Sample {
  at: number;
  /** Answered so far per in-flight target. */
  inFlight: Map<string, number>;
}

const MAX_SAMPLES = 2000;
export const MAX_POINTS = 240;

export class AnswerTimeline {
  readonly #history = new Map<string, History>();
  readonly #samples: Sample[] = [];

  constructor(private readonly files: PipelineFiles) {}

  /** Reads results files that are new or changed since the last call. */
  async refreshHistory(resultsFiles: ReadonlyMap<string, string>): Promise<void> {
    for (const [target, relative] of resultsFiles) {
      const file = this.files.file(relative);
      if (!file.ok) {
        this.#history.delete(target);
        continue;
      }
      const version = `${file.value.size}:${file.value.mtimeMs}`;
      if (this.#history.get(target)?.version === version) continue;
      const times: number[] = [];
      for await (const entry of readJsonl(file.value.absolute)) {
        if (entry.kind !== 'value') continue;
        const result = readResultLine(entry.value);
        const body =
          result?.kind === 'succeeded' && isRecord(result.line.response) ? result.line.response.body : undefined;
        const created = isRecord(body) ? (body.created ?? body.created_at) : undefined;
        if (typeof created === 'number' && Number.isFinite(created)) times.push(created * 1000);
      }
      times.sort((a, b) => a - b);
      this.#history.set(target, { version, writtenAt: file.value.mtimeMs, times });
    }
  }

  /** Records how many requests of each in-flight target are answered now. */
  sample(at: number, inFlight: ReadonlyMap<string, number>): void {
    const last = this.#samples.at(-1);
    // Nothing in flight and nothing was: no news (the chart then ends at the last answer).
    if (last ? sameCounts(last.inFlight, inFlight) : inFlight.size === 0) return;
    this.#samples.push({ at, inFlight: new Map(inFlight) });
    if (this.#samples.length > MAX_SAMPLES) this.#samples.splice(0, this.#samples.length - MAX_SAMPLES);
  }

  /** The cumulative count, at most MAX_POINTS points, up to the last change (the page extends it to now). */
  points(): ViewTimeline {
    const events = [...this.#history.values()].flatMap((h) => h.times).sort((a, b) => a - b);
    const liveAt = (sample: Sample) => {
      let n = 0;
      for (const [target, done] of sample.inFlight) {
        const h = this.#history.get(target);
        if (!h || h.writtenAt < sample.at) n += done;
      }
      return n;
    };
    const start = Math.min(events[0] ?? Infinity, this.#samples[0]?.at ?? Infinity);
    if (start === Infinity) return { points: [] };
    const end = Math.max(events.at(-1) ?? 0, this.#samples.at(-1)?.at ?? 0);
    const step = Math.max(1, (end - start) / (MAX_POINTS - 1));
    const points: [number, number][] = [];
    let e = 0;
    let s = -1;
    for (let i = 0; i < MAX_POINTS; i++) {
      const t = i === MAX_POINTS - 1 ? end : start + i * step;
      while (e < events.length && events[e]! <= t) e += 1;
      while (s + 1 < this.#samples.length && this.#samples[s + 1]!.at <= t) s += 1;
      const value = e + (s >= 0 ? liveAt(this.#samples[s]!) : 0);
      if (points.at(-1)?.[1] !== value || i === MAX_POINTS - 1) points.push([Math.round(t), value]);
    }
    return { points };
  }
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

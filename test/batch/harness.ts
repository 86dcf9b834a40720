/**
 * Drives `batchStage` the way the engine does — prepare() for all targets, then run() per target,
 * renaming tempOutput on `done` — against the real emulator over HTTP with the real SDK of the
 * chosen provider (each provider's own SDK on its flavour's routes of the same server, as its
 * spec's `offline()` points it there; see test/helpers/test-providers.ts). Time is a ManualClock shared by the emulator and the stage,
 * so progress comes from `advance`, not sleeps.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lineId, providerSpec } from '../../src/providers/registry.ts';
import type { BatchApi } from '../../src/providers/batch-api.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import type { EmulatorOptions } from '../../src/emulator/types.ts';
import { batchConfigSchema, type BatchStageConfig } from '../../src/stages/batch/config.ts';
import {
  createBatchServices,
  SimulatedCrash,
  type BatchLimits,
  type BatchServices,
} from '../../src/stages/batch/services.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import type { StageOutcome, TargetContext } from '../../src/stages/types.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { tempPathFor } from '../../src/util/fs-atomic.ts';
import {
  BATCH_PROVIDERS,
  testProfile,
  type BatchProvider,
  type FlavourBooks,
  type TestProfile,
} from '../helpers/test-providers.ts';

export const API_KEY = 'sk-test-DO-NOT-LEAK-4f9a8c7e6d5b4a3c';

export interface RequestLine {
  custom_id: string;
  method: string;
  url: string;
  body: { model: string; messages: { role: string; content: string }[]; temperature: number; max_tokens: number };
}

/** The providers whose provider-independent behaviour the batch tests check alike (`describe.each`). */
export const TEST_PROVIDERS = BATCH_PROVIDERS;
export type TestProvider = BatchProvider;

/** Anthropic's request line: `{custom_id, params}`, the system prompt top-level. */
export interface AnthropicRequestLine {
  custom_id: string;
  params: { model: string; system: string; messages: { role: string; content: string }[]; max_tokens: number };
}

const PROMPT = 'Paraphrase this analysis, keeping its meaning.';
const SYSTEM = 'You rewrite explanations of exam questions.';
const analysis = (subject: string, i: number, prompt: string) =>
  `${prompt}\n<text>Analysis of ${subject} question ${i}: the answer follows from the definition.</text>`;

export function anthropicRequestLines(subject: string, n: number, prompt = PROMPT): AnthropicRequestLine[] {
  return providerLines(testProfile('anthropic'), subject, n, prompt) as unknown as AnthropicRequestLine[];
}

export function requestLines(subject: string, n: number, prompt = PROMPT): RequestLine[] {
  return providerLines(testProfile('openai'), subject, n, prompt) as unknown as RequestLine[];
}

/** Request lines in the provider's own format, written by its spec (ids `${subject}-1`…). */
export function providerLines(
  profile: TestProfile,
  subject: string,
  n: number,
  prompt = PROMPT,
): Record<string, unknown>[] {
  const settings = { model: profile.model, endpoint: profile.spec.traits.endpoints[0]!, params: profile.params };
  return Array.from({ length: n }, (_, i) =>
    profile.spec.wire.writeRequest(settings, `${subject}-${i + 1}`, SYSTEM, analysis(subject, i + 1, prompt)),
  );
}

/** The id of a request or result line, in whatever field its format keeps it. */
export const idOf = (line: Record<string, unknown>): string | undefined => lineId(line);

export interface Harness {
  provider: TestProvider;
  profile: TestProfile;
  /** Route keys as the emulator counts them and fault rules name them. */
  routes: TestProfile['routes'];
  /** Route keys as the client counts them (`api.calls.byRoute`). */
  clientRoutes: TestProfile['clientRoutes'];
  /** Request lines in this provider's shape (custom ids `${subject}-1`…). */
  lines(subject: string, n: number, prompt?: string): Record<string, unknown>[];
  /** The ids of lines, in order. */
  ids(lines: readonly Record<string, unknown>[]): (string | undefined)[];
  /** Batches the emulator holds for this provider (by status, summed): with `batchesCreated`, proves where they went. */
  providerBatches(): Promise<number>;
  /** This provider's books in the emulator's stats (created, held, uploads, executions, paid twice). */
  books(): Promise<FlavourBooks>;
  root: string;
  clock: ManualClock;
  emulator: RunningEmulator;
  api: BatchApi;
  services: BatchServices;
  config: BatchStageConfig;
  ctx(subject: string, opts?: { force?: boolean }): TargetContext;
  writeRequests(subject: string, lines: readonly unknown[]): Promise<void>;
  /** One build: prepare() then run() for each subject; SimulatedCrash counts as a killed process. */
  cycle(subjects: readonly string[], opts?: { force?: boolean }): Promise<Map<string, StageOutcome | 'crashed'>>;
  /** Cycles with `stepMs` of time between them until every subject is done or failed. */
  untilSettled(
    subjects: readonly string[],
    opts?: { stepMs?: number; maxCycles?: number },
  ): Promise<{ outcomes: Map<string, StageOutcome>; cycles: number; history: (StageOutcome | 'crashed')[] }>;
  results(subject: string): Promise<Record<string, unknown>[]>;
  marker(subject: string): string;
  close(): Promise<void>;
}

export async function createHarness(
  opts: {
    provider?: TestProvider;
    emulator?: Partial<EmulatorOptions>;
    config?: Partial<BatchStageConfig>;
    limits?: BatchLimits;
    maxRetries?: number;
    /** The transport's per-attempt timeout (PIPELINE_API_TIMEOUT_MS); undefined: its default. */
    timeoutMs?: number;
  } = {},
): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'batch-stage-'));
  const emuDir = await mkdtemp(path.join(os.tmpdir(), 'batch-emu-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const provider = opts.provider ?? 'openai';
  const profile = testProfile(provider);
  const emulator = await startEmulator({ stateDir: emuDir, port: 0, clock, ...profile.emulator, ...opts.emulator });
  const maxRetries = opts.maxRetries ?? 0;
  const spec = providerSpec(provider);
  const api = await spec.batch({
    ...spec.offline(new URL(emulator.url).origin),
    apiKey: API_KEY,
    maxRetries,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const services = createBatchServices(api, opts.limits);
  const config = batchConfigSchema.parse({ kind: 'batch', provider, ...profile.ruleConfig, ...opts.config });
  const ctx = (subject: string, o: { force?: boolean } = {}): TargetContext => {
    const output = path.join(root, 'paraphrase_batch/results', `${subject}.jsonl`);
    return {
      rule: 'batch',
      target: `paraphrase_batch/results/${subject}.jsonl`,
      root,
      stateDir: path.join(root, '.pipeline'),
      inputs: [path.join(root, 'paraphrase_batch', `${subject}.jsonl`)],
      output,
      tempOutput: tempPathFor(output),
      bindings: { subject },
      fingerprint: 'test',
      marker: path.join(root, 'paraphrase_batch', `${subject}.batch.json`),
      force: o.force ?? false,
      signal: new AbortController().signal,
      clock,
      services: { batch: services },
    };
  };
  const known = new Set<string>();
  const h: Harness = {
    provider,
    profile,
    routes: profile.routes,
    clientRoutes: profile.clientRoutes,
    lines: (subject, n, prompt) => providerLines(profile, subject, n, prompt),
    ids: (lines) => lines.map(idOf),
    async providerBatches() {
      return profile.books(await emulator.stats()).batchesHeld;
    },
    async books() {
      return profile.books(await emulator.stats());
    },
    root,
    clock,
    emulator,
    api,
    services,
    config,
    ctx,
    async writeRequests(subject, lines) {
      known.add(subject);
      const file = path.join(root, 'paraphrase_batch', `${subject}.jsonl`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join(''));
    },
    async cycle(subjects, o = {}) {
      const items = subjects.map((s) => ({ ctx: ctx(s, o), config }));
      // Like the engine: the selected targets, and every target of the pipeline (all subjects written so far).
      await batchStage.prepare!(
        items,
        [...known].map((s) => ({ ctx: ctx(s), config })),
      );
      const out = new Map<string, StageOutcome | 'crashed'>();
      for (const { ctx: c } of items) {
        await mkdir(path.dirname(c.output), { recursive: true });
        try {
          const outcome = await batchStage.run(c, config);
          if (outcome.kind === 'done') await rename(c.tempOutput, c.output);
          else await rm(c.tempOutput, { force: true });
          out.set(c.bindings.subject!, outcome);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          out.set(c.bindings.subject!, 'crashed');
        }
      }
      return out;
    },
    async untilSettled(subjects, o = {}) {
      const history: (StageOutcome | 'crashed')[] = [];
      const settled = new Map<string, StageOutcome>();
      let cycles = 0;
      while (settled.size < subjects.length && cycles < (o.maxCycles ?? 30)) {
        if (cycles > 0) clock.advance(o.stepMs ?? 60_000);
        cycles += 1;
        const out = await h.cycle(subjects.filter((s) => !settled.has(s)));
        for (const [s, outcome] of out) {
          history.push(outcome);
          if (outcome !== 'crashed' && outcome.kind !== 'pending') settled.set(s, outcome);
        }
      }
      return { outcomes: settled, cycles, history };
    },
    async results(subject) {
      const text = await readFile(path.join(root, 'paraphrase_batch/results', `${subject}.jsonl`), 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    marker: (subject) => path.join(root, 'paraphrase_batch', `${subject}.batch.json`),
    async close() {
      await emulator.close();
      await rm(root, { recursive: true, force: true });
      await rm(emuDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Every regular file under `dir`, recursively. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(p)));
    else if ((await stat(p)).isFile()) out.push(p);
  }
  return out;
}

export function expectDone(outcome: StageOutcome | 'crashed' | undefined): Extract<StageOutcome, { kind: 'done' }> {
  if (!outcome || outcome === 'crashed' || outcome.kind !== 'done')
    throw new Error(`expected done, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/**
 * Rig for the online runner's end-to-end tests: hand-written request files (so a test can make one
 * row bad), one `online` rule, a test-owned emulator at speed 1 with online limits and faults, and
 * the real CLI in a subprocess pointed at it.
 */
import { readFile } from 'node:fs/promises';
import {
  startEmulator,
  type OnlineFaults,
  type OnlineStats,
  type OnlineOptions,
  type RunningEmulator,
} from '../../src/emulator/index.ts';
import { canonicalJson, hashText } from '../../src/util/hash.ts';
import { Rig, type CliResult, type CliRun } from '../helpers/rig.ts';
import { FAKE_KEY } from './helpers.ts';

export interface RequestLine {
  custom_id: string;
  method: 'POST';
  url: string;
  body: Record<string, unknown>;
}

export function requestLines(n: number, edit?: (i: number, line: RequestLine) => RequestLine): RequestLine[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const line: RequestLine = {
      custom_id: `row-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4.1-mini',
        messages: [
          { role: 'user', content: `Paraphrase: <text>Row ${i}: the answer follows from the definitions.</text>` },
        ],
        max_tokens: 64,
      },
    };
    return edit ? edit(i, line) : line;
  });
}

/** The emulator's key for a body (its `answersByBody`). */
export const bodyHash = (line: RequestLine): string => hashText(canonicalJson(line.body));

export interface OnlineRig {
  rig: Rig;
  emulator: RunningEmulator;
  build(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** `build` in a subprocess, to kill. */
  buildProcess(args?: string[]): CliRun;
  status(args?: string[]): Promise<CliResult>;
  results(name: string): Promise<Record<string, unknown>[]>;
  dispose(): Promise<void>;
}

export async function startOnlineRig(opts: {
  files: Record<string, RequestLine[]>;
  stage?: Record<string, unknown>;
  online?: OnlineOptions;
  faults?: OnlineFaults;
}): Promise<OnlineRig> {
  const rig = await Rig.create('pipeline-online-');
  const stage = { kind: 'online', maxConcurrency: 4, ...opts.stage };
  await rig.write({
    'pipeline.config.ts': `export default {
  root: 'data',
  rules: [
    { name: 'online', inputs: ['requests/{name}.jsonl'], output: 'results/{name}.jsonl', marker: 'journal/{name}.jsonl',
      stage: ${JSON.stringify(stage)} },
  ],
};
`,
    ...Object.fromEntries(Object.entries(opts.files).map(([name, lines]) => [`data/requests/${name}.jsonl`, lines])),
  });
  const emulator = await startEmulator({
    stateDir: rig.path('emulator-state'),
    speed: 1,
    ...(opts.online ? { online: opts.online } : {}),
    ...(opts.faults ? { faults: { online: opts.faults } } : {}),
  });
  const env = { OPENAI_API_KEY: FAKE_KEY, OPENAI_BASE_URL: emulator.url };
  return {
    rig,
    emulator,
    build: (args = [], extra = {}) => rig.run(['build', ...args], { env: { ...env, ...extra } }),
    buildProcess: (args = []) => rig.cli(['build', ...args], { env }),
    status: (args = []) => rig.run(['status', ...args], { env }),
    async results(name) {
      return (await rig.lines(`data/results/${name}.jsonl`)) as Record<string, unknown>[];
    },
    async dispose() {
      await emulator.close();
      await rig.dispose();
    },
  };
}

/** Journal lines of a target, in order. */
export async function journal(rig: Rig, name: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(rig.path(`data/journal/${name}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line torn by a kill
      }
    });
}

/** Status code of each result line, by custom_id. */
export function statuses(results: Record<string, unknown>[]): Record<string, number | null> {
  return Object.fromEntries(
    results.map((r) => [r.custom_id as string, (r.response as { status_code?: number } | null)?.status_code ?? null]),
  );
}

/**
 * Waits until the emulator's online endpoints reach a state (a build's first request has arrived,
 * say). A plain poll, not `vi.waitFor`: the reliability campaign runs this outside vitest.
 */
export async function until(r: OnlineRig, ready: (s: OnlineStats) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready((await r.emulator.stats()).online)) {
    if (Date.now() > deadline) throw new Error(`the emulator did not reach the awaited state within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

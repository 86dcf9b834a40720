/** Shared bench helpers: timing commands as subprocesses, medians and spread, Markdown output. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TSX_LOADER = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /**
   * Median CPU time (user + system) of the command and its children, where the OS tells it
   * (Linux). On a shared machine it moves far less with the load than wall time does.
   */
  cpuMedianMs?: number;
}

/** CPU time (ms) of this process's waited-for children so far: cutime + cstime of /proc/self/stat. */
function childrenCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ", field 3 (state) is index 0, so cutime (16) and cstime (17) are 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux platform Node runs on. */
const CLOCK_TICKS = 100;

/**
 * Runs `cmd` once untimed (warm-up: page cache, tsx's transform cache), then `runs` times (after
 * `prepare` each time, untimed) and returns median and spread.
 */
export function timeCommand(
  cmd: string,
  args: string[],
  opts: { cwd: string; runs?: number; env?: NodeJS.ProcessEnv; prepare?: () => void; okCodes?: number[] },
): Timing {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = -1; i < (opts.runs ?? 5); i++) {
    opts.prepare?.();
    const cpuBefore = childrenCpuMs();
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status === null || !(opts.okCodes ?? [0]).includes(r.status)) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
    }
    const cpuAfter = childrenCpuMs();
    if (i >= 0) samples.push(ms);
    if (i >= 0 && cpuBefore !== undefined && cpuAfter !== undefined) cpu.push(cpuAfter - cpuBefore);
  }
  const timing = summarize(samples);
  return cpu.length === samples.length ? { ...timing, cpuMedianMs: summarize(cpu).medianMs } : timing;
}

export function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    runs: sorted.length,
  };
}

export function pipelineArgs(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', TSX_LOADER, path.join(REPO, 'pipeline.ts'), ...args]];
}

export function fmt(t: Timing): string {
  return `${t.medianMs.toFixed(0)} ms (${t.minMs.toFixed(0)}–${t.maxMs.toFixed(0)})`;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

// ---- asynchronous runs (an emulator may live in this process, so the event loop must stay free) ----

export interface RunResult {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child in bytes (with `rss: true`). */
  peakRss?: number;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/**
 * Runs a command without blocking this process. With `rss`, the child's peak RSS is taken from
 * GNU time's `%M` (or, without it, by sampling VmHWM in /proc/<pid>/status every 20 ms).
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; rss?: boolean },
): Promise<RunResult> {
  const rssFile = opts.rss && HAVE_TIME ? path.join(os.tmpdir(), `bench-rss-${process.pid}-${Date.now()}`) : undefined;
  const [c, a] = rssFile ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const start = performance.now();
  const child = spawn(c, a, {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let hwm = 0;
  const sampler = opts.rss && !rssFile ? setInterval(() => (hwm = Math.max(hwm, vmHwm(child.pid))), 20) : undefined;
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - start;
  if (sampler) clearInterval(sampler);
  let peakRss: number | undefined = opts.rss ? hwm : undefined;
  if (rssFile) {
    const kb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
    await rm(rssFile, { force: true });
    peakRss = kb * 1024;
  }
  return { code: code ?? -1, ms, stdout, stderr, ...(peakRss !== undefined ? { peakRss } : {}) };
}

function vmHwm(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** `pipeline <args>` in `cwd`, asynchronously. */
export function runPipeline(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; rss?: boolean } = {},
): Promise<RunResult> {
  const [cmd, full] = pipelineArgs(...args);
  return run(cmd, full, { cwd, ...opts });
}

/** Environment pointing the CLI at a test-owned emulator. */
export const emulatorEnv = (url: string): NodeJS.ProcessEnv => ({
  OPENAI_BASE_URL: url,
  OPENAI_API_KEY: 'bench-key',
  // The same emulator serves Anthropic's routes at its origin and Azure's under /openai/v1.
  ANTHROPIC_BASE_URL: new URL(url).origin,
  ANTHROPIC_API_KEY: 'bench-key',
  AZURE_OPENAI_ENDPOINT: new URL(url).origin,
  AZURE_OPENAI_API_KEY: 'bench-key',
  PIPELINE_FAILPOINT: '',
});

/** POSTs to the emulator's test controls (`/_emulator/...`). */
export async function control(port: number, route: string, body: unknown = {}): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/_emulator/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`emulator control ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Runs `pipeline build` until it exits 0 (75 = pending: call `between`, then run again).
 * Any other exit code throws with the build's output.
 */
export async function buildUntilDone(
  cwd: string,
  env: NodeJS.ProcessEnv,
  between: () => Promise<void> = () => Promise.resolve(),
  maxRuns = 500,
): Promise<{ runs: number; ms: number }> {
  const start = performance.now();
  for (let runs = 1; runs <= maxRuns; runs++) {
    const r = await runPipeline(cwd, ['build'], { env });
    if (r.code === 0) return { runs, ms: performance.now() - start };
    if (r.code !== 75)
      throw new Error(`pipeline build exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    await between();
  }
  throw new Error(`still pending after ${maxRuns} builds`);
}

/** The default MMLU pipeline (pipeline.config.ts) rooted at the bench's temporary directory. */
export function mmluConfig(
  prompt = 'Paraphrase the following analysis of an MMLU {subject} question.\nKeep its meaning, reasoning and final answer exactly; use different wording and sentence structure.\nReply with the paraphrased analysis only.\n\n<text>\n{analysis}\n</text>',
  provider: 'openai' | 'anthropic' | 'azure' = 'openai',
): string {
  const model = provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4.1';
  // Anthropic's API version 2026-10-21 refuses temperature.
  const params = provider === 'anthropic' ? '{ max_tokens: 1024 }' : '{ temperature: 0.7, max_tokens: 1024 }';
  return `export default {
  root: '.',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'paraphrase_batch/{subject}.jsonl',
      stage: { kind: 'requests', provider: '${provider}', model: '${model}', system: 'You rewrite explanations of exam questions. Keep every fact, step and conclusion; change only the wording.',
        prompt: ${JSON.stringify(prompt)}, params: ${params}, customId: '{subject}-{question_number}' } },
    { name: 'batch', inputs: ['paraphrase_batch/{subject}.jsonl'], output: 'paraphrase_batch/results/{subject}.jsonl',
      marker: 'paraphrase_batch/{subject}.batch.json', stage: { kind: 'batch', provider: '${provider}', maxAttempts: 3 } },
    { name: 'merge', inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'], output: 'paraphrased/{subject}.jsonl',
      stage: { kind: 'merge', customId: '{subject}-{question_number}', outputField: 'paraphrased_analysis', tokensField: 'paraphrase_tokens' } },
  ],
};
`;
}

export const MB = 1024 * 1024;
export const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
export const int = (n: number): string => n.toLocaleString('en-US');
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const usd = (n: number): string => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;

/** True when the module at `url` is the script node was started with. */
export const isMain = (url: string): boolean => url === pathToFileURL(process.argv[1] ?? '').href;

/** Parses `--sizes 1,2,3` style lists. */
export const numbers = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

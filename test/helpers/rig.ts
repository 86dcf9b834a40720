/**
 * Test rig: a pipeline in a temp dir with real files, run in-process (counting what ran through
 * the engine's events) or through the real CLI in a subprocess.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runBuild } from '../../src/engine/build.ts';
import type { BuildEvent, BuildSummary } from '../../src/engine/events.ts';
import { FileStamps } from '../../src/engine/file-stamps.ts';
import { loadProject } from '../../src/cli/project.ts';
import { selectTargets } from '../../src/graph/select.ts';
import type { StageServices } from '../../src/stages/services.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX_LOADER = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

export interface BuildRun {
  summary: BuildSummary;
  events: BuildEvent[];
  /** Targets whose stage actually ran. */
  ran: string[];
  hashed: number;
}

export class Rig {
  private constructor(readonly dir: string) {}

  static async create(prefix = 'pipeline-test-'): Promise<Rig> {
    return new Rig(await mkdtemp(path.join(os.tmpdir(), prefix)));
  }

  path(rel: string): string {
    return path.join(this.dir, rel);
  }

  async write(files: Record<string, string | unknown[]>): Promise<void> {
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(this.path(rel)), { recursive: true });
      const text = typeof content === 'string' ? content : content.map((r) => `${JSON.stringify(r)}\n`).join('');
      await writeFile(this.path(rel), text);
    }
  }

  read(rel: string): Promise<string> {
    return readFile(this.path(rel), 'utf8');
  }

  async lines(rel: string): Promise<unknown[]> {
    return (await this.read(rel))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);
  }

  async build(
    targets: string[] = [],
    opts: { force?: boolean; dryRun?: boolean; services?: StageServices; clock?: Clock } = {},
  ): Promise<BuildRun> {
    const project = await loadProject('pipeline.config.ts', this.dir);
    if (!project.ok) throw new Error(`config: ${project.error.message} ${project.error.details.join('; ')}`);
    const p = project.value;
    const selection = selectTargets(p.graph, targets, p.root, this.dir);
    if (!selection.ok) throw new Error(selection.error.message);
    const events: BuildEvent[] = [];
    const stamps = new FileStamps();
    const summary = await runBuild({
      root: p.root,
      stateDir: p.stateDir,
      graph: p.graph,
      rules: p.rules,
      requested: selection.value.targets,
      services: opts.services ?? {},
      clock: opts.clock ?? systemClock,
      signal: new AbortController().signal,
      force: opts.force ?? false,
      dryRun: opts.dryRun ?? false,
      onEvent: (e) => events.push(e),
      stamps,
    });
    return {
      summary,
      events,
      ran: events
        .filter((e) => e.type === 'start')
        .map((e) => e.target)
        .sort(),
      hashed: stamps.hashed,
    };
  }

  /** Runs the CLI in this process, or in a subprocess when a process-level hook is asked for (runCliAuto). */
  run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
    return runCliAuto(args, { cwd: opts.cwd ?? this.dir, env: opts.env ?? {} });
  }

  /** Runs the real CLI in a subprocess (the package's bin), as a user would. */
  cli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
    return runCli(args, { cwd: opts.cwd ?? this.dir, env: opts.env ?? {} });
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun extends Promise<CliResult> {
  child: ChildProcess;
}

/** What a CLI run sees of the environment, in-process or not: the test's own, plus PATH and HOME. */
function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env };
}

/**
 * Runs the CLI's `main` in this process (the test worker) with the environment and working
 * directory a subprocess would get, collecting what it writes: what a subprocess run shows, without
 * starting Node and loading the tool each time (most of an end-to-end test's time). Not for what
 * only a process shows (signals, SIGKILL at a failpoint, exit codes of the real binary, the
 * bundle): `runCli` is. `clock`: the build's time, for a test that moves past a wait instead of sleeping.
 */
export async function runCliInProcess(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; clock?: Clock },
): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.ts');
  const env = cliEnv(opts.env);
  const text = { stdout: '', stderr: '' };
  const output = (stream: keyof typeof text) => ({
    write: (t: string) => void (text[stream] += t),
    isTTY: false,
    color: false,
    columns: 100,
  });
  const code = await main(args, {
    stdout: output('stdout'),
    stderr: output('stderr'),
    cwd: opts.cwd,
    env,
    signal: new AbortController().signal,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return { code, signal: null, ...text };
}

/**
 * In this process when nothing in `env` asks for process-level behaviour (a failpoint, where the
 * process kills itself; NODE_OPTIONS preloads), else a subprocess.
 */
export function runCliAuto(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const hooks = Boolean(opts.env?.PIPELINE_FAILPOINT || opts.env?.NODE_OPTIONS);
  return hooks ? runCli(args, opts) : runCliInProcess(args, opts);
}

/** `preload`: modules imported before the CLI (after tsx, so they may be TypeScript), e.g. a test's barrier. */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; preload?: readonly string[] },
): CliRun {
  const env = cliEnv(opts.env);
  // The package's bin, as `npx pipeline` runs it: the prebuilt bundle when current, else the
  // sources through tsx. Preloaded modules (TypeScript) need tsx loaded first, and share module
  // instances with the CLI only if it runs from the sources too, never from the bundle.
  const entry = opts.preload?.length
    ? [...[TSX_LOADER, ...opts.preload].flatMap((m) => ['--import', m]), path.join(REPO, 'src/cli/run.ts')]
    : [path.join(REPO, 'bin', 'pipeline.js')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: opts.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  ) as CliRun;
  done.child = child;
  return done;
}

/** A local-only pipeline: requests from sources, then a shell step counting lines (for cutoff tests). */
export function localConfig(opts: { prompt?: string; extraRules?: string } = {}): string {
  return `export default {
  root: 'data',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: { kind: 'requests', model: 'gpt-4.1', prompt: ${JSON.stringify(opts.prompt ?? 'Paraphrase:\n<text>\n{analysis}\n</text>')}, params: { max_tokens: 256 } } },
    { name: 'count', inputs: ['requests/{subject}.jsonl'], output: 'counts/{subject}.txt',
      stage: { kind: 'shell', command: 'wc -l < {input} > {output}' } },
    ${opts.extraRules ?? ''}
  ],
};
`;
}

export function records(
  subject: string,
  n: number,
  edit?: (i: number) => Record<string, unknown>,
): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    question_number: i + 1,
    subject,
    question: `Q${i + 1}?`,
    analysis: `Analysis ${i + 1} of ${subject}: the answer follows from the definitions.`,
    ...(edit?.(i + 1) ?? {}),
  }));
}

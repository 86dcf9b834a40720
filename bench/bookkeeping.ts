/**
 * Bookkeeping cost: how long `pipeline` takes to find that nothing (or one thing) needs doing,
 * beside GNU make and ninja on the same graph, and beside bare node/tsx start-up.
 *
 * The graph is the pipeline's real one (pipeline.config.ts, `mmluConfig()`, written through the
 * authoring API as users write it): per subject a
 * requests file, a batch marker and its results (one rule, two outputs), and the merged file: 4
 * derived files, 3 targets. The set-up build runs the batches on an in-process emulator; the
 * timed runs point the CLI at a closed port, so a no-op that touched the network would show.
 * make and ninja get the same 4 derived files per subject (cp stands in for each step), each
 * tuned as its experts would: make without its built-in implicit rules and suffix list
 * (`MAKEFLAGS += --no-builtin-rules`, `.SUFFIXES:`), which otherwise has it search RCS/SCCS and
 * suffix rules for every file; ninja as generated (it has nothing to tune).
 * Run: `npx tsx bench/bookkeeping.ts [--sizes 57,1140,11400] [--runs 5] [--keep] [--baseline DIR]`.
 */
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { currentBundle } from '../bin/current-bundle.js';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { startEmulator } from '../src/emulator/index.ts';
import {
  buildUntilDone,
  emulatorEnv,
  fmt,
  isMain,
  markdownTable,
  mmluConfig,
  pipelineArgs,
  REPO,
  timeCommand,
  TSX_LOADER,
  type Timing,
} from './lib.ts';

/**
 * The job's config as users write it: through the authoring API (`definePipeline`, which is what
 * `pipeline init` writes and re-exports zod), not a bare object. The first command evaluates and
 * validates it; the warm-up run does that, and the timed ones find it in the config cache.
 */
function authoredConfig(): string {
  const define = JSON.stringify(path.join(REPO, 'src/config/define.ts'));
  const bare = mmluConfig();
  return `import { definePipeline } from ${define};\n${bare.replace('export default {', 'export default definePipeline({').replace(/};\s*$/, '});\n')}`;
}

/** Where the timed runs send API calls: nothing listens there (port 9, discard), so any call fails. */
const NO_NETWORK = emulatorEnv('http://127.0.0.1:9/v1');

/** Targets per subject in the pipeline's graph (requests, batch, merge); derived files are one more (the marker). */
const TARGETS_PER_SUBJECT = 3;

/** What the tool's dependencies would cost at start-up if a no-op loaded them; it loads none of them. */
const HEAVY_DEPS = [
  '@anthropic-ai/sdk',
  'gpt-tokenizer/encoding/o200k_base',
  'gpt-tokenizer/encoding/cl100k_base',
  'zx',
  'chokidar',
  'openai',
  'zod',
];

export interface BookkeepingRow {
  subjects: number;
  targets: number;
  noopBuild: Timing;
  status: Timing;
  /** `status --json --fields target,state,reasons`: rows without money, so no money report. */
  statusFields: Timing;
  dryRun: Timing;
  touched: Timing;
  /** `npx tsx pipeline build`: the repository's own entry, tsx start-up included. */
  tsxEntry: Timing;
  /** The same no-op build and status by the checkout given with `--baseline` (before a change). */
  baseline?: { noopBuild: Timing; status: Timing };
  make: Timing;
  makeDry: Timing;
  ninja: Timing;
  ninjaDry: Timing;
}

export async function benchBookkeeping(
  sizes: number[],
  runsWanted: number,
  opts: {
    /** Leave the projects in place (their paths go to stderr) for profiling by hand. */
    keep?: boolean;
    /** Another checkout of the tool (with node_modules) to time beside this one: the "before". */
    baseline?: string;
  } = {},
): Promise<{
  rows: BookkeepingRow[];
  node: Timing;
  tsx: Timing;
  help: Timing;
  version: Timing;
  baselineHelp?: Timing;
  baseline?: string;
  deps: { name: string; timing: Timing }[];
}> {
  // The timed command is the package's bin, as `npx pipeline` runs it: the prebuilt bundle when
  // current. A stale bundle would time the TypeScript sources instead, so it is refused.
  if (!currentBundle()) throw new Error('the CLI bundle is not current: run `npm run bundle` first');
  const runs = runsWanted;
  const node = timeCommand(process.execPath, ['-e', ''], { cwd: os.tmpdir(), runs });
  const tsx = timeCommand(process.execPath, ['--import', TSX_LOADER, '-e', ''], { cwd: os.tmpdir(), runs });
  const help = timeCommand(...binArgs('--help'), { cwd: os.tmpdir(), runs });
  const version = timeCommand(...binArgs('--version'), { cwd: os.tmpdir(), runs });
  const baselineArgs = (...args: string[]): [string, string[]] => [
    process.execPath,
    ['--import', TSX_LOADER, path.join(opts.baseline!, 'pipeline.ts'), ...args],
  ];
  const baselineHelp = opts.baseline ? timeCommand(...baselineArgs('--help'), { cwd: os.tmpdir(), runs }) : undefined;
  // What the tool's start-up is made of: each heavy dependency imported alone by bare node.
  const deps = HEAVY_DEPS.map((name) => ({
    name,
    timing: timeCommand(process.execPath, ['--input-type=module', '-e', `await import('${name}')`], {
      cwd: REPO,
      runs,
    }),
  }));
  const rows: BookkeepingRow[] = [];
  for (const subjects of sizes) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-'));
    try {
      const scale = Math.max(1, Math.round(subjects / 57));
      const made = await generateMmluDataset({ outDir: path.join(dir, 'original'), scale, recordsPerSubject: 2 });
      const names = made.subjects;
      await writeFile(path.join(dir, 'pipeline.config.ts'), authoredConfig());
      // make and ninja each get their own copy of the sources and outputs (cp stands in for the steps).
      for (const peer of ['make', 'ninja']) await mkdir(path.join(dir, peer));
      spawnSync('cp', ['-r', path.join(dir, 'original'), path.join(dir, 'make', 'original')]);
      spawnSync('cp', ['-r', path.join(dir, 'original'), path.join(dir, 'ninja', 'original')]);
      await writeFile(path.join(dir, 'make', 'Makefile'), makefile(names));
      await writeFile(path.join(dir, 'ninja', 'build.ninja'), ninjaFile(names));
      // Set-up: the whole job, batches included, on a fast emulator, then make's and ninja's builds.
      const emulator = await startEmulator({ stateDir: path.join(dir, 'emulator-state'), speed: 1000 });
      try {
        await buildUntilDone(dir, emulatorEnv(emulator.url), () => new Promise((r) => setTimeout(r, 200)));
      } finally {
        await emulator.close();
      }
      spawnSync('make', ['-s', '-j2', 'all'], { cwd: path.join(dir, 'make'), stdio: 'ignore' });
      spawnSync('ninja', [], { cwd: path.join(dir, 'ninja'), stdio: 'ignore' });
      // Let the kernel write back what the set-up wrote, so the first timed rows (pipeline's) do not
      // share the disk with that writeback while make's and ninja's, timed later, would not.
      spawnSync('sync');
      const [cmd, build] = binArgs('build');
      const env = NO_NETWORK;
      const touchOne = () => {
        const t = new Date();
        utimesSync(path.join(dir, 'original', `${names[0]}.jsonl`), t, t);
      };
      const runs = runsWanted;
      const row: BookkeepingRow = {
        subjects: names.length,
        targets: names.length * TARGETS_PER_SUBJECT,
        noopBuild: timeCommand(cmd, build, { cwd: dir, runs, env }),
        status: timeCommand(...binArgs('status', '--json'), { cwd: dir, runs, env }),
        statusFields: timeCommand(...binArgs('status', '--json', '--fields', 'target,state,reasons'), {
          cwd: dir,
          runs,
          env,
        }),
        dryRun: timeCommand(...binArgs('build', '-n'), { cwd: dir, runs, env }),
        touched: timeCommand(cmd, build, { cwd: dir, runs, env, prepare: touchOne }),
        tsxEntry: timeCommand(...pipelineArgs('build'), { cwd: dir, runs, env }),
        ...(opts.baseline
          ? {
              baseline: {
                noopBuild: timeCommand(...baselineArgs('build'), { cwd: dir, runs, env }),
                status: timeCommand(...baselineArgs('status', '--json'), { cwd: dir, runs, env }),
              },
            }
          : {}),
        make: timeCommand('make', ['-s', 'all'], { cwd: path.join(dir, 'make'), runs }),
        makeDry: timeCommand('make', ['-n', 'all'], { cwd: path.join(dir, 'make'), runs }),
        ninja: timeCommand('ninja', [], { cwd: path.join(dir, 'ninja'), runs }),
        ninjaDry: timeCommand('ninja', ['-n'], { cwd: path.join(dir, 'ninja'), runs }),
      };
      rows.push(row);
      // The whole row, as soon as it is measured: a long run stopped later keeps what it measured.
      process.stderr.write(`bookkeeping: ${names.length} subjects: ${JSON.stringify(row)}\n`);
    } finally {
      if (opts.keep) process.stderr.write(`bookkeeping: kept ${dir}\n`);
      else await rm(dir, { recursive: true, force: true });
    }
  }
  return {
    rows,
    node,
    tsx,
    help,
    version,
    deps,
    ...(baselineHelp ? { baselineHelp, baseline: opts.baseline } : {}),
  };
}

/** `pipeline <args>` through the package's bin, with plain node (no tsx unless the bundle is stale). */
function binArgs(...args: string[]): [string, string[]] {
  return [process.execPath, [path.join(REPO, 'bin', 'pipeline.js'), ...args]];
}

/**
 * The pipeline's graph for GNU make, written as a careful author would: no built-in rules and no
 * suffix list (otherwise make tries RCS/SCCS and suffix rules for every file and prerequisite).
 * A pattern rule with two targets is made by one run of its recipe (marker + results).
 */
function makefile(subjects: string[]): string {
  return [
    'MAKEFLAGS += --no-builtin-rules',
    '.SUFFIXES:',
    '.PHONY: all',
    `all: ${subjects.map((s) => `paraphrased/${s}.jsonl`).join(' ')}`,
    'paraphrase_batch/%.jsonl: original/%.jsonl',
    '\t@mkdir -p paraphrase_batch && cp $< $@',
    'paraphrase_batch/%.batch.json paraphrase_batch/results/%.jsonl: paraphrase_batch/%.jsonl',
    '\t@mkdir -p paraphrase_batch/results && cp $< paraphrase_batch/$*.batch.json && cp $< paraphrase_batch/results/$*.jsonl',
    'paraphrased/%.jsonl: original/%.jsonl paraphrase_batch/results/%.jsonl',
    '\t@mkdir -p paraphrased && cat $^ > $@',
    '',
  ].join('\n');
}

/** The same graph for ninja: one build edge per step, the batch edge with its two outputs. */
function ninjaFile(subjects: string[]): string {
  const lines = [
    'rule copy',
    '  command = cp $in $out',
    'rule batch',
    '  command = cp $in $marker && cp $in $results',
    'rule merge',
    '  command = cat $in > $out',
  ];
  for (const s of subjects)
    lines.push(
      `build paraphrase_batch/${s}.jsonl: copy original/${s}.jsonl`,
      `build paraphrase_batch/${s}.batch.json paraphrase_batch/results/${s}.jsonl: batch paraphrase_batch/${s}.jsonl`,
      `  marker = paraphrase_batch/${s}.batch.json`,
      `  results = paraphrase_batch/results/${s}.jsonl`,
      `build paraphrased/${s}.jsonl: merge original/${s}.jsonl paraphrase_batch/results/${s}.jsonl`,
    );
  return `${lines.join('\n')}\n`;
}

export function bookkeepingMarkdown(result: Awaited<ReturnType<typeof benchBookkeeping>>): string {
  const startup = result.tsx.medianMs;
  const ms = (t: Timing) => `${t.medianMs.toFixed(0)} ms`;
  const cpu = (t: Timing) => (t.cpuMedianMs !== undefined ? `${t.cpuMedianMs.toFixed(0)} ms` : '—');
  const above = (t: Timing) => `${(t.medianMs - startup).toFixed(0)} ms`;
  const ratio = (a: Timing, b: Timing) => `${(a.medianMs / b.medianMs).toFixed(1)}×`;
  // The engine's own cost per target: the no-op build's growth from the smallest graph, per added
  // target. Start-up, module loading and config loading are in both, so they cancel out.
  const first = result.rows[0];
  const slope = (r: BookkeepingRow, t: (r: BookkeepingRow) => Timing) =>
    first && r.targets > first.targets
      ? `${(((t(r).medianMs - t(first).medianMs) * 1000) / (r.targets - first.targets)).toFixed(0)} µs`
      : '—';
  const base = result.baseline;
  return [
    `Start-up: bare \`node -e ''\` ${fmt(result.node)} (CPU ${cpu(result.node)}); \`node --import tsx -e ''\` ${fmt(result.tsx)} (CPU ${cpu(result.tsx)}); \`pipeline --version\` ${fmt(result.version)} (CPU ${cpu(result.version)}); \`pipeline --help\` ${fmt(result.help)} (CPU ${cpu(result.help)})${result.baselineHelp ? `; before (${base}): \`pipeline --help\` ${fmt(result.baselineHelp)} (CPU ${cpu(result.baselineHelp)})` : ''}. \`pipeline\` is the package's bin (\`node bin/pipeline.js\`, what \`npx pipeline\` runs: the prebuilt bundle, checked current); "tsx entry" is \`npx tsx pipeline build\`, the repository's entry, which pays tsx's start-up first. "Above tsx" is the no-op build's median minus \`node --import tsx -e ''\` (the issue's yardstick; negative: faster than tsx alone starts). "Engine/target" is how much the no-op build grows per target added over the ${first ? first.subjects : ''}-subject graph. CPU = user + system time of the process and its children (median), which a shared machine's load moves much less than wall time.`,
    '',
    `Import cost of heavy dependencies (bare \`node -e "await import(…)"\`, median; subtract ${result.node.medianMs.toFixed(0)} ms of bare node): ${result.deps.map((d) => `\`${d.name}\` ${d.timing.medianMs.toFixed(0)} ms`).join(', ')}. A no-op \`build\` or \`status\` loads none of them (test/cli/no-op-loads.test.ts checks zod).`,
    '',
    markdownTable(
      [
        'subjects',
        'targets',
        'no-op build',
        'CPU',
        'above tsx',
        'engine/target',
        'status --json',
        'status --json --fields target,state,reasons',
        'build -n',
        'one source touched',
        'tsx entry',
        ...(base ? ['before: no-op build (CPU)', 'before: status --json'] : []),
        'make (no-op; CPU)',
        'make -n',
        'ninja (no-op; CPU)',
        'ninja -n',
        'vs make',
        'vs ninja',
      ],
      result.rows.map((r) => [
        String(r.subjects),
        String(r.targets),
        fmt(r.noopBuild),
        cpu(r.noopBuild),
        above(r.noopBuild),
        slope(r, (x) => x.noopBuild),
        fmt(r.status),
        fmt(r.statusFields),
        fmt(r.dryRun),
        fmt(r.touched),
        ms(r.tsxEntry),
        ...(base && r.baseline
          ? [`${fmt(r.baseline.noopBuild)} (${cpu(r.baseline.noopBuild)})`, fmt(r.baseline.status)]
          : []),
        `${fmt(r.make)}; ${cpu(r.make)}`,
        ms(r.makeDry),
        `${fmt(r.ninja)}; ${cpu(r.ninja)}`,
        ms(r.ninjaDry),
        ratio(r.noopBuild, r.make),
        ratio(r.noopBuild, r.ninja),
      ]),
    ),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '57,1140,11400' },
      runs: { type: 'string', default: '5' },
      keep: { type: 'boolean', default: false },
      baseline: { type: 'string' },
    },
  });
  const result = await benchBookkeeping(values.sizes.split(',').map(Number), Number(values.runs), {
    keep: values.keep,
    ...(values.baseline ? { baseline: path.resolve(values.baseline) } : {}),
  });
  process.stdout.write(`${bookkeepingMarkdown(result)}\n`);
}

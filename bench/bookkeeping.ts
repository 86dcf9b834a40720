/**
 * Bookkeeping cost: how long `pipeline` takes to find that nothing (or one thing) needs doing,
 * beside GNU make and ninja on the same graph, and beside bare node/tsx start-up.
 *
 * The graph is the pipeline's real one (pipeline.config.ts, `mmluConfig()`): per subject a
 * requests file, a batch marker and its results (one rule, two outputs), and the merged file: 4
 * derived files, 3 targets. The set-up build runs the batches on an in-process emulator; the
 * timed runs point the CLI at a closed port, so a no-op that touched the network would show.
 * make and ninja get the same 4 derived files per subject (cp stands in for each step), each
 * tuned as its experts would: make without its built-in implicit rules and suffix list
 * (`MAKEFLAGS += --no-builtin-rules`, `.SUFFIXES:`), which otherwise has it search RCS/SCCS and
 * suffix rules for every file; ninja as generated (it has nothing to tune).
 * Run: `npx tsx bench/bookkeeping.ts [--sizes 57,1140,11400] [--runs 5] [--keep]`.
 */
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
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
  dryRun: Timing;
  touched: Timing;
  make: Timing;
  makeDry: Timing;
  ninja: Timing;
  ninjaDry: Timing;
}

export async function benchBookkeeping(
  sizes: number[],
  runsWanted: number,
  /** Leave the projects in place (their paths go to stderr) for profiling by hand. */
  keep = false,
): Promise<{
  rows: BookkeepingRow[];
  node: Timing;
  tsx: Timing;
  modules: Timing;
  help: Timing;
  deps: { name: string; timing: Timing }[];
}> {
  const runs = runsWanted;
  const node = timeCommand(process.execPath, ['-e', ''], { cwd: os.tmpdir(), runs });
  const tsx = timeCommand(process.execPath, ['--import', TSX_LOADER, '-e', ''], { cwd: os.tmpdir(), runs });
  // Start-up of the tool itself: every CLI module imported (no command run), and `pipeline --help`.
  const modules = timeCommand(
    process.execPath,
    [
      '--import',
      TSX_LOADER,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(path.join(REPO, 'src/cli/main.ts'))})`,
    ],
    { cwd: os.tmpdir(), runs },
  );
  const help = timeCommand(...pipelineArgs('--help'), { cwd: os.tmpdir(), runs });
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
      await writeFile(path.join(dir, 'pipeline.config.ts'), mmluConfig());
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
      const [cmd, build] = pipelineArgs('build');
      const env = NO_NETWORK;
      const touchOne = () => {
        const t = new Date();
        utimesSync(path.join(dir, 'original', `${names[0]}.jsonl`), t, t);
      };
      // Large graphs: fewer repetitions, so the whole bench stays within its time budget.
      const runs = subjects >= 10_000 ? Math.min(3, runsWanted) : runsWanted;
      const row: BookkeepingRow = {
        subjects: names.length,
        targets: names.length * TARGETS_PER_SUBJECT,
        noopBuild: timeCommand(cmd, build, { cwd: dir, runs, env }),
        status: timeCommand(...pipelineArgs('status', '--json'), { cwd: dir, runs, env }),
        dryRun: timeCommand(...pipelineArgs('build', '-n'), { cwd: dir, runs, env }),
        touched: timeCommand(cmd, build, { cwd: dir, runs, env, prepare: touchOne }),
        make: timeCommand('make', ['-s', 'all'], { cwd: path.join(dir, 'make'), runs }),
        makeDry: timeCommand('make', ['-n', 'all'], { cwd: path.join(dir, 'make'), runs }),
        ninja: timeCommand('ninja', [], { cwd: path.join(dir, 'ninja'), runs }),
        ninjaDry: timeCommand('ninja', ['-n'], { cwd: path.join(dir, 'ninja'), runs }),
      };
      rows.push(row);
      process.stderr.write(`bookkeeping: ${names.length} subjects: no-op build ${fmt(row.noopBuild)}\n`);
    } finally {
      if (keep) process.stderr.write(`bookkeeping: kept ${dir}\n`);
      else await rm(dir, { recursive: true, force: true });
    }
  }
  return { rows, node, tsx, modules, help, deps };
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
  const above = (t: Timing) => `${(t.medianMs - startup).toFixed(0)} ms`;
  // The engine's own cost per target: the no-op build's growth from the smallest graph, per added
  // target. Start-up, module loading and config loading are in both, so they cancel out.
  const first = result.rows[0];
  const slope = (r: BookkeepingRow) =>
    first && r.targets > first.targets
      ? `${(((r.noopBuild.medianMs - first.noopBuild.medianMs) * 1000) / (r.targets - first.targets)).toFixed(0)} µs`
      : '—';
  return [
    `Start-up: bare \`node -e ''\` ${fmt(result.node)}; \`node --import tsx -e ''\` ${fmt(result.tsx)}; importing every CLI module (src/cli/main.ts, no command) ${fmt(result.modules)}; \`pipeline --help\` ${fmt(result.help)}. "Above tsx start-up" is the no-op build's median minus tsx start-up: the tool's module loading, loading pipeline.config.ts, and the engine's work. "Engine/target" is the engine's work alone: how much the no-op build grows per target added over the ${first ? first.subjects : ''}-subject graph.`,
    '',
    `Import cost of heavy dependencies (bare \`node -e "await import(…)"\`, median; subtract ${result.node.medianMs.toFixed(0)} ms of bare node): ${result.deps.map((d) => `\`${d.name}\` ${d.timing.medianMs.toFixed(0)} ms`).join(', ')}.`,
    '',
    markdownTable(
      [
        'subjects',
        'targets',
        'no-op build',
        'above tsx start-up',
        'engine/target',
        'status',
        'build -n',
        'one source touched',
        'make (no-op)',
        'make -n',
        'ninja (no-op)',
        'ninja -n',
      ],
      result.rows.map((r) => [
        String(r.subjects),
        String(r.targets),
        fmt(r.noopBuild),
        above(r.noopBuild),
        slope(r),
        fmt(r.status),
        fmt(r.dryRun),
        fmt(r.touched),
        fmt(r.make),
        fmt(r.makeDry),
        fmt(r.ninja),
        fmt(r.ninjaDry),
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
    },
  });
  const result = await benchBookkeeping(values.sizes.split(',').map(Number), Number(values.runs), values.keep);
  process.stdout.write(`${bookkeepingMarkdown(result)}\n`);
}

/**
 * Bookkeeping cost: how long `pipeline` takes to find that nothing (or one thing) needs doing,
 * beside GNU make and ninja on the equivalent graph, and beside bare node/tsx start-up. The graph
 * per subject: source → request file → a second in-process requests stage over it (a shell stage
 * here would spend the set-up build spawning 22,800 processes), so 2 targets per subject; make
 * and ninja get the same two-step graph (cp, wc). Run: `npx tsx bench/bookkeeping.ts [--sizes 57,1140,11400] [--runs 5]`.
 */
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { fmt, isMain, markdownTable, pipelineArgs, REPO, timeCommand, TSX_LOADER, type Timing } from './lib.ts';

const CONFIG = `export default {
  root: '.',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: { kind: 'requests', prompt: 'Paraphrase:\\n<text>\\n{analysis}\\n</text>' } },
    { name: 'count', inputs: ['requests/{subject}.jsonl'], output: 'counts/{subject}.jsonl',
      stage: { kind: 'requests', idField: 'custom_id', customId: '{custom_id}', prompt: '{custom_id}' } },
  ],
};
`;

/** What the tool's dependencies would cost at start-up; only zod is imported by every command, the rest lazily where needed. */
const HEAVY_DEPS = [
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
      await writeFile(path.join(dir, 'pipeline.config.ts'), CONFIG);
      await writeFile(path.join(dir, 'Makefile'), makefile(names));
      await writeFile(path.join(dir, 'build.ninja'), ninjaFile(names));
      const [cmd, build] = pipelineArgs('build');
      const first = spawnSync(cmd, build, { cwd: dir, stdio: 'ignore' });
      if (first.status !== 0) throw new Error(`initial build failed (${first.status})`);
      spawnSync('make', ['-s', '-j2', 'all'], { cwd: dir, stdio: 'ignore' });
      spawnSync('ninja', [], { cwd: dir, stdio: 'ignore' });
      const touchOne = () => {
        const t = new Date();
        utimesSync(path.join(dir, 'original', `${names[0]}.jsonl`), t, t);
      };
      // Large graphs: fewer repetitions, so the whole bench stays within its time budget.
      const runs = subjects >= 10_000 ? Math.min(3, runsWanted) : runsWanted;
      const row: BookkeepingRow = {
        subjects: names.length,
        targets: names.length * 2,
        noopBuild: timeCommand(cmd, build, { cwd: dir, runs }),
        status: timeCommand(...pipelineArgs('status', '--json'), { cwd: dir, runs }),
        dryRun: timeCommand(...pipelineArgs('build', '-n'), { cwd: dir, runs }),
        touched: timeCommand(cmd, build, { cwd: dir, runs, prepare: touchOne }),
        make: timeCommand('make', ['-s', 'all'], { cwd: dir, runs }),
        makeDry: timeCommand('make', ['-n', 'all'], { cwd: dir, runs }),
        ninja: timeCommand('ninja', [], { cwd: dir, runs }),
        ninjaDry: timeCommand('ninja', ['-n'], { cwd: dir, runs }),
      };
      rows.push(row);
      process.stderr.write(`bookkeeping: ${names.length} subjects: no-op build ${fmt(row.noopBuild)}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { rows, node, tsx, modules, help, deps };
}

function makefile(subjects: string[]): string {
  return [
    `all: ${subjects.map((s) => `counts/${s}.jsonl`).join(' ')}`,
    'requests/%.jsonl: original/%.jsonl',
    '\t@mkdir -p requests && cp $< $@',
    'counts/%.jsonl: requests/%.jsonl',
    '\t@mkdir -p counts && wc -l < $< > $@',
    '',
  ].join('\n');
}

function ninjaFile(subjects: string[]): string {
  const lines = ['rule copy', '  command = cp $in $out', 'rule count', '  command = wc -l < $in > $out'];
  for (const s of subjects)
    lines.push(
      `build requests/${s}.jsonl: copy original/${s}.jsonl`,
      `build counts/${s}.jsonl: count requests/${s}.jsonl`,
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
    options: { sizes: { type: 'string', default: '57,1140,11400' }, runs: { type: 'string', default: '5' } },
  });
  const result = await benchBookkeeping(values.sizes.split(',').map(Number), Number(values.runs));
  process.stdout.write(`${bookkeepingMarkdown(result)}\n`);
}

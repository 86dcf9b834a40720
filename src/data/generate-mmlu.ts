/**
 * Synthetic MMLU source data at the real scale: the 57 subjects with their test-split sizes
 * (14,042 records), each with a ~350-token analysis, so the paraphrase pipeline, the emulator and
 * the benchmarks can run on realistic volumes without the real data set or network access.
 *
 *   npx tsx src/data/generate-mmlu.ts --out DIR [--scale K] [--subjects N] [--records-per-subject N] [--seed S]
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { tempPathFor } from '../util/fs-atomic.ts';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { makeRecord, mulberry32, seedFor } from './prose.ts';

export interface GenerateMmluOptions {
  outDir: string;
  /** K copies of the subject list: `{subject}` for copy 1, `{subject}_{k}` for k ≥ 2. Default 1. */
  scale?: number;
  /** Only the first N subjects (in the TSV's order). Default: all 57. */
  subjects?: number;
  /** Records per file instead of the real test-split size (for fast tests). */
  recordsPerSubject?: number;
  /** Default 1. Each file draws from its own stream seeded by (seed, file name). */
  seed?: number;
}

export interface GenerateMmluResult {
  /** File names without `.jsonl`, in the order written. */
  subjects: string[];
  records: number;
  bytes: number;
}

export interface SubjectCount {
  subject: string;
  count: number;
}

// Shipped beside this file (a copy of the shared TSV) so the repo needs nothing outside itself at run time.
const COUNTS_FILE = new URL('./mmlu-test-counts.tsv', import.meta.url);

/** The 57 MMLU subjects and their test-split sizes, in file order. */
export async function loadMmluCounts(): Promise<SubjectCount[]> {
  const lines = (await readFile(COUNTS_FILE, 'utf8'))
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  return lines.map((line, i) => {
    const [subject = '', n = ''] = line.split('\t');
    const count = Number(n);
    if (!/^[a-z_]+$/.test(subject) || !Number.isInteger(count) || count <= 0) {
      throw new Error(`${COUNTS_FILE.pathname}:${i + 2}: bad line ${JSON.stringify(line)}`);
    }
    return { subject, count };
  });
}

function checkInt(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be an integer ${range}, got ${value}`);
  }
}

export async function generateMmluDataset(opts: GenerateMmluOptions): Promise<GenerateMmluResult> {
  const { outDir, scale = 1, recordsPerSubject, seed = 1 } = opts;
  const all = await loadMmluCounts();
  checkInt('scale', scale, 1);
  checkInt('subjects', opts.subjects, 1, all.length);
  checkInt('recordsPerSubject', recordsPerSubject, 1);
  checkInt('seed', seed, 0, 0xffffffff);
  const base = all.slice(0, opts.subjects ?? all.length);
  await mkdir(outDir, { recursive: true });

  const result: GenerateMmluResult = { subjects: [], records: 0, bytes: 0 };
  for (let k = 1; k <= scale; k++) {
    for (const { subject, count } of base) {
      const name = k === 1 ? subject : `${subject}_${k}`;
      const n = recordsPerSubject ?? count;
      result.bytes += await writeSubject(path.join(outDir, `${name}.jsonl`), name, subject, n, seed);
      result.subjects.push(name);
      result.records += n;
    }
  }
  return result;
}

/**
 * One file, streamed line by line into a temp file and renamed into place, so a killed run
 * never leaves a short file that a build would take as a complete source. No fsync (unlike
 * util/fs-atomic's commitFile): the data can be regenerated, and syncing 11,400 small files at
 * --scale 200 took ~45 s instead of ~8 s. Returns the file's size in bytes.
 */
async function writeSubject(file: string, name: string, baseSubject: string, n: number, seed: number): Promise<number> {
  const rng = mulberry32(seedFor(seed, name));
  const tmp = tempPathFor(file);
  const out = await JsonlWriter.open(tmp);
  let bytes = 0;
  try {
    for (let q = 1; q <= n; q++) {
      const line = JSON.stringify(makeRecord(rng, name, baseSubject, q));
      bytes += Buffer.byteLength(line) + 1;
      await out.writeLine(line);
    }
    await out.close();
    await rename(tmp, file);
  } catch (error) {
    out.destroy();
    await rm(tmp, { force: true });
    throw error;
  }
  return bytes;
}

const USAGE = `usage: npx tsx src/data/generate-mmlu.ts --out DIR [options]

Writes DIR/{subject}.jsonl for the 57 MMLU subjects with their real test-split sizes
(14,042 records), each with a synthetic ~350-token analysis. Deterministic: the same
options give byte-identical files.

  --out DIR                  output directory (created if missing)
  --scale K                  K copies of the subjects: {subject}, {subject}_2 … {subject}_K (default 1)
  --subjects N               only the first N subjects (1–57)
  --records-per-subject N    N records per file instead of the real sizes
  --seed S                   PRNG seed, 0–4294967295 (default 1)
  -h, --help                 show this help`;

class UsageError extends Error {}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Parses argv; throws UsageError for anything the usage message should answer. */
export function parseCliArgs(argv: string[]): GenerateMmluOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        scale: { type: 'string' },
        subjects: { type: 'string' },
        'records-per-subject': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (!values.out) throw new UsageError('--out DIR is required');
  return {
    outDir: values.out,
    scale: intFlag('scale', values.scale),
    subjects: intFlag('subjects', values.subjects),
    recordsPerSubject: intFlag('records-per-subject', values['records-per-subject']),
    seed: intFlag('seed', values.seed),
  };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const opts = parseCliArgs(argv);
    if (opts === 'help') {
      console.log(USAGE);
      return 0;
    }
    const started = performance.now();
    const made = await generateMmluDataset(opts);
    const secs = ((performance.now() - started) / 1000).toFixed(2);
    const mb = (made.bytes / 1e6).toFixed(1);
    console.log(
      `generate-mmlu: ${made.subjects.length} subjects, ${made.records} records, ${mb} MB in ${opts.outDir} (${secs} s)`,
    );
    return 0;
  } catch (error) {
    // Range checks in generateMmluDataset are usage errors too when they come from flags.
    if (error instanceof UsageError || error instanceof RangeError) {
      console.error(`generate-mmlu: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

// Run as a script (not when imported by tests or the benchmarks); pathToFileURL copes with spaces in paths.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}

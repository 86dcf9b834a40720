/**
 * The synthetic MMLU generator (src/data/generate-mmlu.ts) and the hand-written sample sources in
 * results/mmlu/original. One full-size generation is shared by the tests that need real sizes;
 * everything else uses a few records per subject to stay fast.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateMmluDataset, loadMmluCounts, main, type GenerateMmluResult } from '../../src/data/generate-mmlu.ts';
import { countTextTokens, loadTokenizers } from '../../src/tokens/count.ts';
import type { MmluRecord } from '../../src/data/prose.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLES = path.join(REPO, 'results/mmlu/original');

let tmp: string;
let full: string;
let fullResult: GenerateMmluResult;

beforeAll(async () => {
  await loadTokenizers();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'generate-mmlu-'));
  full = path.join(tmp, 'full');
  fullResult = await generateMmluDataset({ outDir: full });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

type Rec = MmluRecord;

/**
 * Parses a JSONL source file strictly (UTF-8, trailing newline, one object per line) and checks
 * the record format. Problems are collected as text and asserted once: an `expect` per field of
 * 14,042 records costs seconds.
 */
async function readRecords(file: string): Promise<Rec[]> {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
  expect(text.endsWith('\n'), `${file} ends with a newline`).toBe(true);
  const stem = path.basename(file, '.jsonl');
  const problems: string[] = [];
  const records = text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const r = JSON.parse(line) as Rec;
      const bad = (what: string) => problems.push(`${file}:${i + 1}: ${what}`);
      if (r.question_number !== i + 1) bad(`question_number ${r.question_number}`);
      if (r.subject !== stem) bad(`subject ${r.subject}`);
      if (typeof r.question !== 'string' || r.question.trim() === '') bad('question');
      if (!Array.isArray(r.choices) || r.choices.length !== 4 || new Set(r.choices).size !== 4) bad('choices');
      else if (!r.choices.every((c) => typeof c === 'string' && c !== '')) bad('choice text');
      if (!['A', 'B', 'C', 'D'].includes(r.answer)) bad(`answer ${r.answer}`);
      if (typeof r.analysis !== 'string' || r.analysis === '') bad('analysis');
      return r;
    });
  expect(problems).toEqual([]);
  return records;
}

const jsonlFiles = async (dir: string) => (await readdir(dir)).sort();

describe('generateMmluDataset', () => {
  it('writes the 57 subjects with their real test-split sizes, 14,042 records', async () => {
    const counts = await loadMmluCounts();
    expect(counts).toHaveLength(57);
    expect(counts.reduce((n, c) => n + c.count, 0)).toBe(14_042);
    expect(fullResult.subjects).toEqual(counts.map((c) => c.subject));
    expect(fullResult.records).toBe(14_042);
    // Only finished files: no temp files left behind by the atomic writes.
    expect(await jsonlFiles(full)).toEqual(counts.map((c) => `${c.subject}.jsonl`).sort());
    let bytes = 0;
    for (const { subject, count } of counts) {
      const file = path.join(full, `${subject}.jsonl`);
      bytes += (await readFile(file)).length;
      expect((await readRecords(file)).length, subject).toBe(count);
    }
    expect(fullResult.bytes).toBe(bytes);
  });

  it('gives every analysis ~350 gpt-4.1 tokens (250–450), checked on a sample', async () => {
    const tokens: number[] = [];
    for (const subject of fullResult.subjects.filter((_, i) => i % 6 === 0)) {
      const records = await readRecords(path.join(full, `${subject}.jsonl`));
      for (const r of records.filter((_, i) => i % 10 === 0)) tokens.push(countTextTokens('gpt-4.1', r.analysis));
    }
    expect(tokens.length).toBeGreaterThan(100);
    expect(Math.min(...tokens)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...tokens)).toBeLessThanOrEqual(450);
    const mean = tokens.reduce((a, b) => a + b, 0) / tokens.length;
    expect(mean).toBeGreaterThan(320);
    expect(mean).toBeLessThan(380);
  });

  it('is deterministic: a second run is byte-identical, another seed differs', async () => {
    const again = path.join(tmp, 'again');
    await generateMmluDataset({ outDir: again });
    for (const subject of fullResult.subjects) {
      const [a, b] = await Promise.all([
        readFile(path.join(full, `${subject}.jsonl`)),
        readFile(path.join(again, `${subject}.jsonl`)),
      ]);
      expect(a.equals(b), subject).toBe(true);
    }
    const other = path.join(tmp, 'seed2');
    await generateMmluDataset({ outDir: other, seed: 2, subjects: 1, recordsPerSubject: 3 });
    expect(await readFile(path.join(other, 'abstract_algebra.jsonl'), 'utf8')).not.toBe(
      (await readFile(path.join(full, 'abstract_algebra.jsonl'), 'utf8')).split('\n').slice(0, 3).join('\n') + '\n',
    );
  });

  it('--subjects and --records-per-subject give a prefix of the full data set', async () => {
    const dir = path.join(tmp, 'small');
    const made = await generateMmluDataset({ outDir: dir, subjects: 3, recordsPerSubject: 5 });
    expect(made).toMatchObject({ subjects: ['abstract_algebra', 'anatomy', 'astronomy'], records: 15 });
    for (const subject of made.subjects) {
      const small = await readFile(path.join(dir, `${subject}.jsonl`), 'utf8');
      const big = await readFile(path.join(full, `${subject}.jsonl`), 'utf8');
      expect(big.startsWith(small), subject).toBe(true);
    }
  });

  it('scale 2 doubles the subjects: {subject} and {subject}_2, each with its own records', async () => {
    const dir = path.join(tmp, 'scale2');
    const made = await generateMmluDataset({ outDir: dir, scale: 2, recordsPerSubject: 2 });
    expect(made.subjects).toHaveLength(114);
    expect(made.records).toBe(228);
    expect(made.subjects.slice(57)).toEqual(fullResult.subjects.map((s) => `${s}_2`));
    expect(await jsonlFiles(dir)).toHaveLength(114);
    const [one, two] = await Promise.all([
      readRecords(path.join(dir, 'virology.jsonl')),
      readRecords(path.join(dir, 'virology_2.jsonl')),
    ]);
    expect(two.map((r) => r.subject)).toEqual(['virology_2', 'virology_2']);
    expect(two[0]?.analysis).not.toBe(one[0]?.analysis);
  });

  it('rejects bad options', async () => {
    const outDir = path.join(tmp, 'bad');
    await expect(generateMmluDataset({ outDir, scale: 0 })).rejects.toThrow(RangeError);
    await expect(generateMmluDataset({ outDir, subjects: 58 })).rejects.toThrow(/subjects/);
    await expect(generateMmluDataset({ outDir, recordsPerSubject: 1.5 })).rejects.toThrow(/recordsPerSubject/);
  });
});

describe('generate-mmlu CLI', () => {
  it('exits 2 with the usage message on bad flags, 0 on --help', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const argv of [
        ['--bogus'],
        [],
        ['--out', tmp, '--scale', 'x'],
        ['--out', tmp, '--subjects', '0'],
        ['--out', tmp, 'extra'],
      ]) {
        expect(await main(argv), argv.join(' ')).toBe(2);
      }
      expect(err.mock.calls.every(([m]) => String(m).includes('usage:'))).toBe(true);
      expect(await main(['--help'])).toBe(0);
      expect(String(log.mock.calls[0]?.[0])).toMatch(/^usage:/);
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  });

  it('runs as a script and prints a one-line summary', () => {
    const dir = path.join(tmp, 'cli');
    const loader = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
    const args = [
      '--import',
      loader,
      path.join(REPO, 'src/data/generate-mmlu.ts'),
      '--out',
      dir,
      '--subjects',
      '2',
      '--records-per-subject',
      '3',
    ];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^generate-mmlu: 2 subjects, 6 records, [\d.]+ MB in .* \([\d.]+ s\)\n$/);
  });
});

describe('sample sources in results/mmlu/original', () => {
  it('hold 4 subjects of 4–6 valid records with 80–200-word analyses', async () => {
    const files = await jsonlFiles(SAMPLES);
    expect(files).toEqual(['abstract_algebra.jsonl', 'anatomy.jsonl', 'astronomy.jsonl', 'business_ethics.jsonl']);
    for (const file of files) {
      const records = await readRecords(path.join(SAMPLES, file));
      expect(records.length, file).toBeGreaterThanOrEqual(4);
      expect(records.length, file).toBeLessThanOrEqual(6);
      for (const r of records) {
        const words = r.analysis.split(/\s+/).length;
        expect(words, `${file} #${r.question_number}`).toBeGreaterThanOrEqual(80);
        expect(words, `${file} #${r.question_number}`).toBeLessThanOrEqual(200);
      }
    }
  });
});

/**
 * Structured outputs under invalid replies (issue #14): the emulator answers a share of the
 * structured replies invalidly (not JSON, a missing field, truncated, refused; the kind fixed by
 * the body), some runs are SIGKILLed at a failpoint of the batch protocol, and `build` is run to
 * the end. Every row must end valid in the merged file or be named by the merge; the only bodies
 * executed more than once are re-asks of invalid replies (the emulator's books keep them apart
 * from duplicates); no batch is created twice.
 */
import { readFile } from 'node:fs/promises';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { Rig } from '../helpers/rig.ts';
import { structuredConfig } from '../helpers/structured-config.ts';
import { envFor, FAILPOINTS, prng, ROOT, runCliKillable } from './lib.ts';

export interface StructuredFigures {
  rows: number;
  valid: number;
  /** Rows the merge named as still invalid (file, line, custom id, first zod issue). */
  named: number;
  /** Rows neither valid in the output nor named. */
  lost: number;
  invalidReplies: number;
  duplicates: number;
  batchesCreated: number;
  batchesRecorded: number;
  kills: number;
  runs: number;
  finished: boolean;
}

export async function structuredCampaign(opts: {
  subjects: number;
  records: number;
  invalidRate: number;
  kills: number;
  seed: number;
  maxInvalidAttempts?: number;
}): Promise<StructuredFigures> {
  const rig = await Rig.create('pipeline-rel-structured-');
  const random = prng(opts.seed);
  try {
    const batchOptions = `maxInvalidAttempts: ${opts.maxInvalidAttempts ?? 2}, repairPrompt: true`;
    await rig.write({ 'pipeline.config.ts': structuredConfig('openai', batchOptions) });
    const made = await generateMmluDataset({
      outDir: rig.path(`${ROOT}/original`),
      subjects: opts.subjects,
      recordsPerSubject: opts.records,
      seed: opts.seed,
    });
    const emu = await startEmulator({
      stateDir: rig.path('.emulator-state'),
      speed: 100,
      seed: opts.seed,
      faults: { invalidReplies: { rate: opts.invalidRate } },
    });
    // Not after-creating: a create whose answer is lost is adopted only after the 10-minute window on
    // a real clock (covered on a manual clock in test/batch); the merge's commit points are not this row's.
    const points = FAILPOINTS.filter((p) => !p.startsWith('before-commit') && p !== 'after-creating');
    let kills = 0;
    let runs = 0;
    let last = { code: null as number | null, stdout: '', stderr: '' };
    try {
      // Killed runs first (each at some step of some round, waiting so later rounds are reached),
      // then `build --wait` to the end.
      for (let i = 0; i < opts.kills + 5; i++) {
        const point = i < opts.kills ? points[Math.floor(random() * points.length)]! : undefined;
        const env = envFor(emu, point ? { PIPELINE_FAILPOINT: point } : {});
        const r = await runCliKillable(['build', '--wait', '--poll-interval', '0.5'], rig.dir, env);
        runs += 1;
        if (r.signal === 'SIGKILL') kills += 1;
        last = r;
        if (i >= opts.kills - 1 && r.code !== null && r.code !== 75) break;
      }
      const text = `${last.stdout}\n${last.stderr}`;
      let valid = 0;
      let named = 0;
      for (const subject of made.subjects) {
        const out = await readFile(rig.path(`${ROOT}/out/${subject}.jsonl`), 'utf8').catch(() => '');
        const merged = new Set(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { question_number: number }).question_number),
        );
        for (let n = 1; n <= opts.records; n++) {
          if (merged.has(n)) valid += 1;
          else if (text.includes(`(${subject}-${n}): `)) named += 1;
        }
      }
      const stats = await emu.stats();
      let batchesRecorded = 0;
      for (const subject of made.subjects) {
        const marker = JSON.parse(await readFile(rig.path(`${ROOT}/b/${subject}.batch.json`), 'utf8')) as {
          parts: { batchId?: string }[];
        };
        batchesRecorded += new Set(marker.parts.map((p) => p.batchId).filter(Boolean)).size;
      }
      return {
        rows: made.records,
        valid,
        named,
        lost: made.records - valid - named,
        invalidReplies: stats.invalidReplies,
        duplicates: stats.duplicateExecutions,
        batchesCreated: stats.batchesCreated,
        batchesRecorded,
        kills,
        runs,
        finished: last.code === 0 || (last.code === 1 && named > 0),
      };
    } finally {
      await emu.close();
    }
  } finally {
    await rig.dispose();
  }
}

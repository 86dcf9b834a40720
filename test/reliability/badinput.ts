/**
 * Bad input end to end, through the real CLI and the batch stage: each case puts one bad subject
 * beside good ones and checks the answer is clear (exit code, file, line, target named) and that
 * nothing else is lost (the good subjects merge completely, no batch is sent for the bad one).
 * Also a property test: random source files of valid and invalid lines; every valid row must come
 * out merged once the invalid ones are removed, and every invalid line must be reported.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import {
  booksOf,
  buildUntilDone,
  emulatorFor,
  envFor,
  makeJob,
  prng,
  ROOT,
  runCliUnkilled,
  type Attempt,
  type Job,
} from './lib.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';

export interface CaseOutcome {
  name: string;
  ok: boolean;
  why: string;
}

const rec = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    question_number: n,
    subject: 'bad',
    analysis: `Analysis ${n}: the answer follows from the definitions.`,
    ...extra,
  });

/** name, file content, expected exit, pattern the output must contain (file:line and message). */
export const SOURCE_CASES: { name: string; content: Buffer; line?: number; message: RegExp }[] = [
  {
    name: 'malformed JSON',
    content: Buffer.from(`${rec(1)}\n{"question_number": 2, "analysis": \n${rec(3)}\n`),
    line: 2,
    message: /invalid JSON/,
  },
  {
    name: 'missing analysis',
    content: Buffer.from(`${rec(1)}\n{"question_number": 2}\n`),
    line: 2,
    message: /missing "analysis"/,
  },
  {
    name: 'analysis wrongly typed',
    content: Buffer.from(`${rec(1)}\n{"question_number": 2, "analysis": ["x"]}\n`),
    line: 2,
    message: /"analysis" must be a non-empty string/,
  },
  {
    name: 'question_number wrongly typed',
    content: Buffer.from(`${rec(1)}\n{"question_number": {"n": 2}, "analysis": "x"}\n`),
    line: 2,
    message: /"question_number" must be a number or a string/,
  },
  { name: 'empty file', content: Buffer.alloc(0), message: /the file has no records/ },
  {
    name: 'invalid UTF-8',
    content: Buffer.concat([
      Buffer.from(`${rec(1)}\n{"question_number": 2, "analysis": "caf`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n'),
    ]),
    line: 2,
    message: /invalid UTF-8/,
  },
  {
    name: 'duplicate question_number',
    content: Buffer.from(`${rec(1)}\n${rec(2)}\n${rec(1)}\n`),
    line: 3,
    message: /duplicate question_number 1 \(first on line 1\)/,
  },
];

/** Runs the build until it stops being pending (exit 75). */
async function settle(job: Job, env: NodeJS.ProcessEnv, max = 15): Promise<Attempt> {
  // A failed target makes the exit 1 even while other targets are still pending: go on until none is.
  for (let i = 0; ; i++) {
    const r = await runCliUnkilled(['build'], job.rig.dir, env);
    if ((r.code !== 75 && !/\bpending\b/.test(r.stdout)) || i >= max) return r;
  }
}

/** The good subjects are merged completely (every source row, the stand-in's paraphrase). */
async function goodSubjectsComplete(job: Job, bad: string): Promise<string | undefined> {
  for (const s of job.subjects.filter((x) => x !== bad)) {
    const source = (await readFile(job.rig.path(`${ROOT}/original/${s}.jsonl`), 'utf8')).split('\n').filter(Boolean);
    const merged = await readFile(job.rig.path(`${ROOT}/paraphrased/${s}.jsonl`), 'utf8').catch(() => '');
    const rows = merged.split('\n').filter(Boolean);
    if (rows.length !== source.length) return `${s}: ${rows.length} of ${source.length} rows merged`;
  }
  return undefined;
}

export async function sourceCase(c: (typeof SOURCE_CASES)[number]): Promise<CaseOutcome> {
  const job = await makeJob({ subjects: 2, records: 5 }, 'pipeline-rel-bad-');
  const emu = await emulatorFor(job, { speed: 200 });
  try {
    const bad = 'zz_bad';
    await writeFile(job.rig.path(`${ROOT}/original/${bad}.jsonl`), c.content);
    const r = await settle(job, envFor(emu));
    const out = r.stdout + r.stderr;
    const where = `original/${bad}.jsonl${c.line ? `:${c.line}` : ''}`;
    const problems: string[] = [];
    if (r.code !== 1) problems.push(`exit ${String(r.code)} (want 1)`);
    if (!out.includes(`✗ failed      paraphrase_batch/${bad}.jsonl`)) problems.push('the failed target is not named');
    if (!out.includes(where)) problems.push(`${where} not named`);
    if (!c.message.test(out)) problems.push(`no message like ${String(c.message)}`);
    if (/\n\s+at .*\.ts:\d+/.test(out)) problems.push('a stack trace was printed');
    const lost = await goodSubjectsComplete(job, bad);
    if (lost) problems.push(lost);
    const books = await booksOf(emu, job);
    if (books.batchesCreated !== job.subjects.length)
      problems.push(`${books.batchesCreated} batches created for ${job.subjects.length} good subjects`);
    return { name: c.name, ok: problems.length === 0, why: problems.length ? `${problems.join('; ')}\n${out}` : '' };
  } finally {
    await emu.close();
    await job.dispose();
  }
}

/** BOM, CRLF and a 10 MB analysis are accepted: merged with every row. */
export async function acceptedCase(name: 'BOM + CRLF' | '10 MB line'): Promise<CaseOutcome> {
  const job = await makeJob({ subjects: 1, records: 3 }, 'pipeline-rel-bad-');
  const emu = await emulatorFor(job, { speed: 200 });
  try {
    const subject = 'zz_odd';
    const content =
      name === 'BOM + CRLF'
        ? `\uFEFF${rec(1)}\r\n${rec(2)}\r\n${rec(3)}\r\n`
        : `${rec(1)}\n${rec(2, { analysis: 'long '.repeat(2 * 1024 * 1024) })}\n${rec(3)}\n`;
    await writeFile(job.rig.path(`${ROOT}/original/${subject}.jsonl`), content);
    const r = await settle(job, envFor(emu), 25);
    const merged = (await readFile(job.rig.path(`${ROOT}/paraphrased/${subject}.jsonl`), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean);
    const ok = r.code === 0 && merged.length === 3;
    return {
      name,
      ok,
      why: ok ? '' : `exit ${String(r.code)}, ${merged.length} rows merged\n${r.stdout}\n${r.stderr}`,
    };
  } finally {
    await emu.close();
    await job.dispose();
  }
}

/**
 * Damage after a complete run: garbage lines in a raw results file, a marker cut in half, a marker
 * edited by hand, an invalid config. Each gets a clear answer and nothing paid for is lost.
 */
export async function damageCases(): Promise<CaseOutcome[]> {
  const job = await makeJob({ subjects: 3, records: 6 }, 'pipeline-rel-bad-');
  const emu = await emulatorFor(job, { speed: 200 });
  const env = envFor(emu);
  const out: CaseOutcome[] = [];
  const [a, b, c] = job.subjects as [string, string, string];
  try {
    await buildUntilDone(job.rig.dir, env);
    const mergedBefore = await readFile(job.rig.path(`${ROOT}/paraphrased/${a}.jsonl`), 'utf8');
    const created = (await emu.stats()).batchesCreated;

    // 1. Garbage lines in a results file: rebuilt from the request cache, no new batch.
    const results = job.rig.path(`${ROOT}/paraphrase_batch/results/${a}.jsonl`);
    await writeFile(results, `${await readFile(results, 'utf8')}not json at all\n{"half": \n`);
    let r = await runCliUnkilled(['build'], job.rig.dir, env);
    const after = await readFile(job.rig.path(`${ROOT}/paraphrased/${a}.jsonl`), 'utf8');
    const okGarbage = r.code === 0 && after === mergedBefore && (await emu.stats()).batchesCreated === created;
    out.push({
      name: 'garbage lines in a results file',
      ok: okGarbage,
      why: okGarbage ? '' : `exit ${String(r.code)}\n${r.stdout}\n${r.stderr}`,
    });

    // 2. A corrupted (truncated) marker of a target that must be rebuilt: clear error, marker untouched.
    const src = job.rig.path(`${ROOT}/original/${b}.jsonl`);
    await writeFile(
      src,
      `${await readFile(src, 'utf8')}${JSON.stringify({ question_number: 9999, analysis: 'One more question, added later.' })}\n`,
    );
    const marker = job.rig.path(`${ROOT}/paraphrase_batch/${b}.batch.json`);
    const text = await readFile(marker, 'utf8');
    const cut = text.slice(0, Math.floor(text.length / 2));
    await writeFile(marker, cut);
    r = await runCliUnkilled(['build'], job.rig.dir, env);
    let o = r.stdout + r.stderr;
    const okCut =
      r.code === 1 &&
      o.includes(`✗ failed      paraphrase_batch/results/${b}.jsonl`) &&
      o.includes(`batch marker paraphrase_batch/${b}.batch.json is not a valid ledger`) &&
      (await readFile(marker, 'utf8')) === cut;
    out.push({ name: 'corrupted marker', ok: okCut, why: okCut ? '' : `exit ${String(r.code)}\n${o}` });

    // 3. A hand-edited marker (a part state that does not exist): the key path is named.
    const ledger = JSON.parse(text) as { parts: { state: string }[] };
    ledger.parts[0]!.state = 'done-by-hand';
    await writeFile(marker, JSON.stringify(ledger, null, 2));
    r = await runCliUnkilled(['build'], job.rig.dir, env);
    o = r.stdout + r.stderr;
    const okEdit = r.code === 1 && o.includes(`paraphrase_batch/${b}.batch.json is not a valid ledger: parts.0.state`);
    out.push({ name: 'hand-edited marker', ok: okEdit, why: okEdit ? '' : `exit ${String(r.code)}\n${o}` });
    // Put the real ledger back: the build picks up from it (the one new row is sent, nothing else).
    await writeFile(marker, text);
    const fixed = await buildUntilDone(job.rig.dir, env);
    const rows = (await readFile(job.rig.path(`${ROOT}/paraphrased/${b}.jsonl`), 'utf8'))
      .split('\n')
      .filter(Boolean).length;
    const stats = await emu.stats();
    const okRestore = rows === 7 && stats.batchesCreated === created + 1 && stats.duplicateExecutions === 0;
    out.push({
      name: 'marker restored: only the new row is sent',
      ok: okRestore,
      why: okRestore
        ? ''
        : `${rows} rows, ${stats.batchesCreated - created} new batches, ${stats.duplicateExecutions} duplicate executions (${fixed.runs} runs)`,
    });

    // 4. An invalid config: exit 2 naming the file and the key; nothing changes.
    const config = job.rig.path('pipeline.config.ts');
    const good = await readFile(config, 'utf8');
    // Self-contained (the repo's config is edited by others): a batch rule with maxAttempts 0.
    await writeFile(
      config,
      `export default { root: '${ROOT}', rules: [{ name: 'batch', inputs: ['paraphrase_batch/{subject}.jsonl'], output: 'paraphrase_batch/results/{subject}.jsonl', marker: 'paraphrase_batch/{subject}.batch.json', stage: { kind: 'batch', maxAttempts: 0 } }] };\n`,
    );
    r = await runCliUnkilled(['build'], job.rig.dir, env);
    o = r.stdout + r.stderr;
    const okConfig =
      r.code === 2 &&
      o.includes('pipeline.config.ts: invalid config') &&
      /rules\[0\]\.stage\.maxAttempts/.test(o) &&
      !/\n\s+at .*\.ts:\d+/.test(o);
    out.push({ name: 'invalid config', ok: okConfig, why: okConfig ? '' : `exit ${String(r.code)}\n${o}` });
    await writeFile(config, good);
    void c;
    return out;
  } finally {
    await emu.close();
    await job.dispose();
  }
}

/**
 * Property test: random source files mixing valid records and invalid lines of every kind. The
 * build must fail each file naming exactly its invalid lines; with them removed, every valid
 * row must come out merged, in order, with its own paraphrase.
 */
export async function fuzzSources(seed: number, files: number, emuIn?: RunningEmulator): Promise<CaseOutcome[]> {
  const random = prng(seed);
  const job = await makeJob({ subjects: 1, records: 2 }, 'pipeline-rel-fuzz-');
  const emu = emuIn ?? (await emulatorFor(job, { speed: 200 }));
  const env = envFor(emu);
  const outcomes: CaseOutcome[] = [];
  try {
    const expected = new Map<string, { valid: string[]; invalid: number[] }>();
    for (let f = 0; f < files; f++) {
      const subject = `fuzz_${seed}_${f}`;
      const lines: string[] = [];
      const valid: string[] = [];
      const invalid: number[] = [];
      const n = 1 + Math.floor(random() * 12);
      const used = new Set<number>();
      for (let i = 0; i < n; i++) {
        const q = 1 + Math.floor(random() * 1000);
        const kind = used.has(q)
          ? 'duplicate'
          : random() < 0.65
            ? 'valid'
            : (['json', 'missing', 'type', 'array', 'empty-analysis', 'no-id'] as const)[Math.floor(random() * 6)]!;
        const analysis = `Fuzz ${seed}/${f}/${i}: ${'ünïcødé and "quotes" \\ '.slice(0, Math.floor(random() * 24))}reasoning ${q}.`;
        let line: string;
        switch (kind) {
          case 'valid':
            line = JSON.stringify({ question_number: q, analysis, extra: random() < 0.5 ? null : { k: [1, 2] } });
            break;
          case 'duplicate':
            line = JSON.stringify({ question_number: q, analysis });
            break;
          case 'json':
            line = `{"question_number": ${q}, "analysis": "unterminated`;
            break;
          case 'missing':
            line = JSON.stringify({ question_number: q });
            break;
          case 'type':
            line = JSON.stringify({ question_number: q, analysis: 42 });
            break;
          case 'array':
            line = JSON.stringify([q, analysis]);
            break;
          case 'empty-analysis':
            line = JSON.stringify({ question_number: q, analysis: '   ' });
            break;
          case 'no-id':
            line = JSON.stringify({ analysis });
            break;
        }
        if (kind === 'valid') {
          used.add(q);
          valid.push(line);
        } else invalid.push(lines.length + 1);
        lines.push(line);
      }
      const eol = random() < 0.3 ? '\r\n' : '\n';
      await writeFile(
        job.rig.path(`${ROOT}/original/${subject}.jsonl`),
        `${random() < 0.2 ? '\uFEFF' : ''}${lines.join(eol)}${eol}`,
      );
      expected.set(subject, { valid, invalid });
    }
    // Pass 1: every invalid line reported with its line number; files without one build.
    const first = await settleAll(job, env);
    const text = first.stdout + first.stderr;
    for (const [subject, e] of expected) {
      const missingReports = e.invalid.filter((l) => !text.includes(`original/${subject}.jsonl:${l}:`));
      if (
        e.invalid.length > 0 &&
        (missingReports.length > 0 || !text.includes(`✗ failed      paraphrase_batch/${subject}.jsonl`))
      ) {
        outcomes.push({
          name: `${subject} invalid lines reported`,
          ok: false,
          why: `lines ${missingReports.join(',')} of ${e.invalid.join(',')} not reported\n${text}`,
        });
      }
    }
    // Pass 2: remove the invalid lines; everything valid must merge.
    // (A file left with no valid row would be an empty source, itself an error: it is removed.)
    for (const [subject, e] of expected) {
      const file = job.rig.path(`${ROOT}/original/${subject}.jsonl`);
      if (e.valid.length === 0) await rm(file);
      else await writeFile(file, e.valid.map((l) => `${l}\n`).join(''));
    }
    const second = await settleAll(job, env);
    if (second.code !== 0)
      outcomes.push({
        name: 'fixed files build',
        ok: false,
        why: `exit ${String(second.code)}\n${second.stdout}\n${second.stderr}`,
      });
    for (const [subject, e] of expected) {
      const merged = (await readFile(job.rig.path(`${ROOT}/paraphrased/${subject}.jsonl`), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean);
      const ids = merged.map((m) => (JSON.parse(m) as { question_number: number }).question_number);
      const want = e.valid.map((l) => (JSON.parse(l) as { question_number: number }).question_number);
      const ok = e.valid.length === 0 ? true : JSON.stringify(ids) === JSON.stringify(want);
      if (!ok)
        outcomes.push({
          name: `${subject} valid rows merged`,
          ok,
          why: `merged ${JSON.stringify(ids)} want ${JSON.stringify(want)}`,
        });
    }
    const books = await booksOf(emu, job);
    if (books.duplicates > 0) outcomes.push({ name: 'no duplicates', ok: false, why: JSON.stringify(books) });
    outcomes.push({ name: `fuzz seed ${seed}: ${files} files`, ok: outcomes.length === 0, why: '' });
    return outcomes;
  } finally {
    if (!emuIn) await emu.close();
    await job.dispose();
  }
}

async function settleAll(job: Job, env: NodeJS.ProcessEnv): Promise<Attempt> {
  let all = '';
  for (let i = 0; i < 20; i++) {
    const r = await runCliUnkilled(['build'], job.rig.dir, env);
    all += r.stdout + r.stderr;
    if (r.code !== 75 && !/\bpending\b/.test(r.stdout)) return { ...r, stdout: all, stderr: '' };
  }
  throw new Error('still pending after 20 runs');
}

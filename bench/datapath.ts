/**
 * Data path: throughput (MB/s of input) and peak RSS of the requests stage and the merge stage,
 * run through the real CLI (`pipeline build requests`, `pipeline build merge`) on ~250 MB,
 * 500 MB and 1 GB of generated sources, beside a bare Node stream that only parses and
 * re-serialises the same JSON lines (the runtime's limit). Merge reads result files that this
 * bench synthesises (well-formed Batch API output lines): first in request order, as the batch
 * stage writes them, then reversed (a provider's raw output is in no particular order), which
 * takes the merge's read-at-offset path for every row. Peak RSS is the child's (GNU time %M).
 * Run: `npx tsx bench/datapath.ts [--sizes 250,500,1000]` (sizes in MB of sources).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { int, isMain, markdownTable, MB, numbers, run, runPipeline, secs } from './lib.ts';

const CONFIG = `export default {
  root: '.',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: { kind: 'requests', model: 'gpt-4.1', system: 'You rewrite explanations of exam questions.',
        prompt: 'Paraphrase the following analysis of an MMLU {subject} question.\\n\\n<text>\\n{analysis}\\n</text>', params: { max_tokens: 1024 } } },
    { name: 'merge', inputs: ['original/{subject}.jsonl', 'results/{subject}.jsonl'], output: 'merged/{subject}.jsonl',
      stage: { kind: 'merge' } },
  ],
};
`;

/** The runtime's limit: read lines, JSON.parse, JSON.stringify, write; one file at a time. */
const BASELINE = `
import { createReadStream, createWriteStream, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import path from 'node:path';
const [outDir, ...dirs] = process.argv.slice(1);
let n = 0;
for (const dir of dirs) for (const f of readdirSync(dir)) {
  const out = createWriteStream(path.join(outDir, String(n++)));
  for await (const line of createInterface({ input: createReadStream(path.join(dir, f)), crlfDelay: Infinity })) {
    if (!out.write(JSON.stringify(JSON.parse(line)) + '\\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}
`;

export interface Measured {
  ms: number;
  inBytes: number;
  outBytes: number;
  peakRss: number;
}

export interface DatapathRow {
  sourceBytes: number;
  files: number;
  records: number;
  requests: Measured;
  requestsBaseline: Measured;
  merge: Measured;
  /** The same merge with every results file reversed. */
  mergeReversed: Measured;
  mergeBaseline: Measured;
  /** Largest size only: the merge again (-B) with the V8 heap capped, which fails if anything holds a file. */
  mergeHeapCapped?: Measured;
}

/** The heap cap for the flat-memory check: a third of the ~200 MB the uncapped runs peak at. */
export const HEAP_CAP_MB = 64;

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(path.join(dir, f))).size;
  return total;
}

/** Writes a results file for a request file: one successful chat completion per request, in order or reversed. */
async function synthesiseResults(
  requestFile: string,
  resultFile: string,
  order: 'request' | 'reversed',
): Promise<void> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(requestFile), crlfDelay: Infinity })) {
    if (!line) continue;
    const req = JSON.parse(line) as { custom_id: string; body: { model: string; messages: { content: string }[] } };
    const user = req.body.messages.at(-1)!.content;
    const text = /<text>\n?([\s\S]*?)\n?<\/text>/.exec(user)?.[1] ?? user;
    const reply = `In other words: ${text}`;
    const input = Math.round(user.length / 4);
    const output = Math.round(reply.length / 4);
    const n = lines.length;
    lines.push(
      JSON.stringify({
        id: `batch_req_${n}`,
        custom_id: req.custom_id,
        response: {
          status_code: 200,
          request_id: `req_${n}`,
          body: {
            id: `chatcmpl-${n}`,
            object: 'chat.completion',
            created: 1764000000,
            model: `${req.body.model}-2025-04-14`,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: reply, refusal: null, annotations: [] },
                logprobs: null,
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
            service_tier: 'default',
            system_fingerprint: 'fp_bench',
          },
        },
        error: null,
      }),
    );
  }
  const out = createWriteStream(resultFile);
  if (order === 'reversed') lines.reverse();
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'close');
}

async function measurePipeline(
  dir: string,
  args: string[],
  inBytes: number,
  outDir: string,
  env?: NodeJS.ProcessEnv,
): Promise<Measured> {
  const r = await runPipeline(dir, args, { rss: true, ...(env ? { env } : {}) });
  if (r.code !== 0) throw new Error(`pipeline ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, inBytes, outBytes: await dirBytes(path.join(dir, outDir)), peakRss: r.peakRss ?? 0 };
}

async function measureBaseline(dir: string, inDirs: string[], inBytes: number): Promise<Measured> {
  const out = path.join(dir, 'baseline-out');
  await mkdir(out, { recursive: true });
  const r = await run(
    process.execPath,
    ['--input-type=module', '-e', BASELINE, out, ...inDirs.map((d) => path.join(dir, d))],
    { cwd: dir, rss: true },
  );
  if (r.code !== 0) throw new Error(`baseline exited ${r.code}: ${r.stderr}`);
  const m = { ms: r.ms, inBytes, outBytes: await dirBytes(out), peakRss: r.peakRss ?? 0 };
  await rm(out, { recursive: true, force: true });
  return m;
}

export async function benchDatapath(sizesMb: number[]): Promise<DatapathRow[]> {
  const staging = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-data-'));
  const rows: DatapathRow[] = [];
  try {
    const largest = Math.max(...sizesMb) * MB;
    // One scale-1 copy of the 57 subjects is ~30.6 MB of sources.
    const made = await generateMmluDataset({
      outDir: path.join(staging, 'all'),
      scale: Math.max(1, Math.ceil(largest / (30.6 * MB))),
    });
    const sizes = await Promise.all(
      made.subjects.map(async (s) => (await stat(path.join(staging, 'all', `${s}.jsonl`))).size),
    );
    process.stderr.write(`datapath: generated ${int(made.records)} records, ${(made.bytes / MB).toFixed(0)} MB\n`);
    for (const size of sizesMb) {
      const dir = path.join(staging, `p${size}`);
      await mkdir(path.join(dir, 'original'), { recursive: true });
      await mkdir(path.join(dir, 'results'), { recursive: true });
      let bytes = 0;
      let files = 0;
      for (; files < made.subjects.length && bytes < size * MB; files++) {
        await link(
          path.join(staging, 'all', `${made.subjects[files]}.jsonl`),
          path.join(dir, 'original', `${made.subjects[files]}.jsonl`),
        );
        bytes += sizes[files]!;
      }
      await writeFile(path.join(dir, 'pipeline.config.ts'), CONFIG);
      const requests = await measurePipeline(dir, ['build', 'requests'], bytes, 'requests');
      const requestsBaseline = await measureBaseline(dir, ['original'], bytes);
      const synthesise = async (order: 'request' | 'reversed') => {
        for (const f of await readdir(path.join(dir, 'requests')))
          await synthesiseResults(path.join(dir, 'requests', f), path.join(dir, 'results', f), order);
      };
      await synthesise('reversed');
      const resultBytes = await dirBytes(path.join(dir, 'results'));
      const mergeReversed = await measurePipeline(dir, ['build', 'merge'], bytes + resultBytes, 'merged');
      await synthesise('request');
      const merge = await measurePipeline(dir, ['build', 'merge'], bytes + resultBytes, 'merged');
      const mergeBaseline = await measureBaseline(dir, ['original', 'results'], bytes + resultBytes);
      const mergeHeapCapped =
        size === Math.max(...sizesMb)
          ? await measurePipeline(dir, ['build', 'merge', '-B'], bytes + resultBytes, 'merged', {
              NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MB}`,
            })
          : undefined;
      const records = made.records * (files / made.subjects.length);
      rows.push({
        sourceBytes: bytes,
        files,
        records: Math.round(records),
        requests,
        requestsBaseline,
        merge,
        mergeReversed,
        mergeBaseline,
        ...(mergeHeapCapped ? { mergeHeapCapped } : {}),
      });
      process.stderr.write(
        `datapath: ${(bytes / MB).toFixed(0)} MB: requests ${rate(requests)}, merge ${rate(merge)}\n`,
      );
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return rows;
}

export const rate = (m: Measured): string => `${(m.inBytes / MB / (m.ms / 1000)).toFixed(1)} MB/s`;
const rss = (m: Measured): string => `${(m.peakRss / MB).toFixed(0)} MB`;

export function datapathMarkdown(rows: DatapathRow[]): string {
  const capped = rows.find((r) => r.mergeHeapCapped);
  const cappedNote = capped?.mergeHeapCapped
    ? `Flat memory, checked: at ${(capped.sourceBytes / MB).toFixed(0)} MB of sources, \`pipeline build merge -B\` with the V8 heap capped at ${HEAP_CAP_MB} MB (\`NODE_OPTIONS=--max-old-space-size=${HEAP_CAP_MB}\`) finished in ${secs(capped.mergeHeapCapped.ms)} with peak RSS ${rss(capped.mergeHeapCapped)}; a merge that held its data could not. Uncapped, peak RSS still rises with the input because V8 lets its heap grow before collecting when it may; the capped run shows that growth is garbage, not data kept.`
    : '';
  const line = (r: DatapathRow, what: string, m: Measured) => [
    `${(r.sourceBytes / MB).toFixed(0)} MB (${int(r.files)} files)`,
    what,
    `${(m.inBytes / MB).toFixed(0)} MB → ${(m.outBytes / MB).toFixed(0)} MB`,
    secs(m.ms),
    `**${rate(m)}**`,
    `**${rss(m)}**`,
  ];
  return [
    "Input MB/s = bytes read (sources; for merge sources + results) ÷ wall time of the whole command, start-up included. Peak RSS is the child process's. The merge reads results in request order (as the batch stage writes them), then again with every results file reversed, which makes it read each row back at its byte offset. The bare-Node rows read the same files line by line (readline), `JSON.parse` + `JSON.stringify` each line and write it out, one file at a time: what the runtime allows with no work per record.",
    '',
    markdownTable(
      ['sources', 'step', 'in → out', 'time', 'input MB/s', 'peak RSS'],
      rows.flatMap((r) => [
        line(r, '`pipeline build requests`', r.requests),
        line(r, 'bare Node parse + stringify (sources)', r.requestsBaseline),
        line(r, '`pipeline build merge`', r.merge),
        line(r, '`pipeline build merge`, results reversed', r.mergeReversed),
        line(r, 'bare Node parse + stringify (sources + results)', r.mergeBaseline),
      ]),
    ),
    ...(cappedNote ? ['', cappedNote] : []),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '250,500,1000' } } });
  process.stdout.write(`${datapathMarkdown(await benchDatapath(numbers(values.sizes)))}\n`);
}

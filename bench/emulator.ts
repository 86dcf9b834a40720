/**
 * Emulator benchmark: upload, run and download one 50,000-request (~100 MB) chat batch through
 * the real SDK, timing each phase and sampling the process's RSS. Everything is streamed, so
 * peak memory must stay far below the file size. Run: npx tsx bench/emulator.ts
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import OpenAI from 'openai';
import { startEmulator } from '../src/emulator/index.ts';
import { machineLine, markdownTable, REPO, run, TSX_LOADER } from './lib.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 50_000);
/** Set for the heap-capped re-run this bench starts itself: measure only, record nothing. */
const CAPPED_CHILD = process.env.BENCH_CAPPED_CHILD === '1';
/** Below the input (~102 MB) and the output (~133 MB) file, of which ~40 MB is the tokenizer tables' own heap. */
const HEAP_CAP_MB = 96;
const SPEED = 500; // 25,000 requests/s of emulated time: the run is bound by the emulator's own work
const MB = 1024 * 1024;

let peak = 0;
let phasePeak = 0;
const sample = () => {
  const rss = process.memoryUsage().rss;
  peak = Math.max(peak, rss);
  phasePeak = Math.max(phasePeak, rss);
};
const sampler = setInterval(sample, 20);

const rows: string[][] = [];
async function phase<T>(
  name: string,
  fn: () => Promise<T>,
  note: () => Promise<string> = () => Promise.resolve(''),
): Promise<T> {
  global.gc?.();
  phasePeak = 0;
  const before = process.memoryUsage().rss;
  const start = performance.now();
  const value = await fn();
  sample();
  const ms = performance.now() - start;
  const text = await note();
  rows.push([
    name,
    `${(ms / 1000).toFixed(2)} s`,
    `${(before / MB).toFixed(0)} MB`,
    `${(phasePeak / MB).toFixed(0)} MB`,
    text,
  ]);
  process.stdout.write(
    `${name}: ${(ms / 1000).toFixed(2)} s, RSS ${(before / MB).toFixed(0)} → peak ${(phasePeak / MB).toFixed(0)} MB ${text}\n`,
  );
  return value;
}

const passage = (i: number) =>
  `Passage ${i}. ` +
  'It is often said that a good question is more important than a quick answer, because the right question helps us think about the whole problem. '.repeat(
    13,
  );

async function generate(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < REQUESTS; i++) {
    const line = {
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4.1-mini',
        messages: [
          { role: 'system', content: 'You paraphrase text faithfully.' },
          { role: 'user', content: `Paraphrase the passage.\n<text>${passage(i)}</text>` },
        ],
      },
    };
    if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/**
 * A streamed multipart upload over node:http. The bench does not use the SDK here because
 * openai 6.49 holds a ReadStream upload in memory (measured: RSS grows by ~the file size), which
 * would hide whether the emulator itself streams; the SDK upload is measured separately below.
 */
async function streamUpload(url: string, file: string): Promise<{ id: string }> {
  const boundary = `bench${Date.now()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + (await stat(file)).size + Buffer.byteLength(tail);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/files`,
      {
        method: 'POST',
        headers: {
          authorization: 'Bearer bench',
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(length),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(body) as { id: string }) : reject(new Error(body)),
        );
      },
    );
    req.on('error', reject);
    req.write(head);
    const rs = createReadStream(file);
    rs.on('error', reject);
    rs.pipe(req, { end: false });
    rs.on('end', () => req.end(tail));
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'emulator-bench-'));
  const input = path.join(dir, 'input.jsonl');
  const output = path.join(dir, 'output.jsonl');
  const emulator = await startEmulator({ stateDir: path.join(dir, 'state'), speed: SPEED });
  const client = new OpenAI({ apiKey: 'bench', baseURL: emulator.url, maxRetries: 0, timeout: 30 * 60_000 });
  try {
    const sizeOf = async (f: string) => `${((await stat(f)).size / MB).toFixed(1)} MB`;
    const baseline = process.memoryUsage().rss;
    rows.push(['baseline (modules loaded, server up)', '', '', `${(baseline / MB).toFixed(0)} MB`, '']);
    await phase('generate input', () => generate(input));
    const size = (await stat(input)).size;
    const file = await phase(
      'upload (streamed multipart over node:http)',
      () => streamUpload(emulator.url, input),
      () => sizeOf(input),
    );
    const poll = async (until: (s: string) => boolean) => {
      for (;;) {
        const b = await client.batches.retrieve(batchId);
        if (until(b.status)) return b;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let batchId = '';
    await phase('create + validate (tokenize 50k prompts)', async () => {
      batchId = (
        await client.batches.create({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        })
      ).id;
      return poll((s) => s !== 'validating');
    });
    const done = await phase('execute + finalize (shuffle into output file)', () =>
      poll((s) => s === 'completed' || s === 'failed'),
    );
    if (done.status !== 'completed' || !done.output_file_id)
      throw new Error(`batch ended ${done.status}: ${JSON.stringify(done.errors)}`);
    await phase(
      'download (streamed)',
      async () => {
        const res = await client.files.content(done.output_file_id as string);
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(output));
      },
      () => sizeOf(output),
    );
    const outSize = (await stat(output)).size;
    await phase(
      'for comparison: upload via openai SDK (ReadStream)',
      () => client.files.create({ file: createReadStream(input), purpose: 'batch' }),
      () => sizeOf(input),
    );
    const stats = await emulator.stats();
    clearInterval(sampler);
    const summary = [
      `Input ${REQUESTS.toLocaleString('en-US')} requests, ${(size / MB).toFixed(1)} MB; output ${(outSize / MB).toFixed(1)} MB; speed ${SPEED}.`,
      `Peak RSS of the whole process (SDK client + emulator in one process): **${(peak / MB).toFixed(0)} MB**; baseline after loading Node, tsx, the SDK and both tokenizer tables ${(baseline / MB).toFixed(0)} MB, so growth ${((peak - baseline) / MB).toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB input.`,
      `Emulator stats: ${stats.requestsExecuted.toLocaleString('en-US')} requests executed, ${stats.inputTokens.toLocaleString('en-US')} input / ${stats.outputTokens.toLocaleString('en-US')} output tokens, ${stats.duplicateExecutions} duplicates.`,
    ];
    process.stdout.write(`\n${summary.join('\n')}\n`);
    if (CAPPED_CHILD) return;
    summary.splice(2, 0, await cappedRun());
    if (REQUESTS === 50_000)
      await record(
        `## Emulator: 50,000-request batch\n\n${machineLine()}; ${new Date().toISOString().slice(0, 10)}; \`npx tsx bench/emulator.ts\`.\n\n${markdownTable(['phase', 'time', 'RSS at start', 'peak RSS', 'size'], rows)}\n\n${summary.join('\n')}\n`,
      );
  } finally {
    clearInterval(sampler);
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Whether the growth above is garbage or retained data: the same run again in a child whose V8 heap
 * is capped far below the file size. It can only finish if no phase holds the file.
 */
async function cappedRun(): Promise<string> {
  const r = await run(
    process.execPath,
    [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', TSX_LOADER, path.join(REPO, 'bench/emulator.ts')],
    {
      cwd: REPO,
      env: { BENCH_CAPPED_CHILD: '1', BENCH_REQUESTS: String(REQUESTS) },
      rss: true,
    },
  );
  const mb = ((r.peakRss ?? 0) / MB).toFixed(0);
  return r.code === 0
    ? `That growth is collectable garbage, not retained data: the same run in a child with the V8 heap capped at ${HEAP_CAP_MB} MB (\`--max-old-space-size=${HEAP_CAP_MB}\`; the tokenizer tables alone take ~40 MB of it) completed in ${(r.ms / 1000).toFixed(1)} s with peak RSS ${mb} MB, which it could not if any phase held the input or output file.`
    : `The same run with the V8 heap capped at ${HEAP_CAP_MB} MB did NOT complete (exit ${r.code} after ${(r.ms / 1000).toFixed(1)} s, peak RSS ${mb} MB): some phase holds data in proportion to the file.`;
}

/** Replaces this bench's section in bench/RESULTS.md (or appends it), leaving other sections alone. */
async function record(section: string): Promise<void> {
  const file = path.join(REPO, 'bench', 'RESULTS.md');
  const old = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const start = old.indexOf('## Emulator: 50,000-request batch');
  let text: string;
  if (start === -1) text = `${old.trimEnd()}\n\n${section}`;
  else {
    const next = old.indexOf('\n## ', start + 1);
    text = `${old.slice(0, start)}${section}${next === -1 ? '' : `\n${old.slice(next + 1)}`}`;
  }
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}

await main();

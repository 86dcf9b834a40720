/**
 * Scale: a 1M-request job built offline end to end — FILES request files of RECORDS requests
 * (default 20 × 50,000: one 50,000-request batch per file, ~2 GB of sources) — on the emulator
 * running in its own process, so the CLI's and the emulator's peak RSS are measured apart (GNU
 * time's %M for each CLI command; VmHWM of the emulator's process). Steps: `build requests`;
 * `build batch` (hash, split, write the parts, upload, create); `status` and the view's snapshot
 * with every batch in flight (the emulator's clock runs at --speed, slow enough that none ends);
 * the emulator's clock moved a day on and its run of every request waited for; `build batch`
 * (collect into the cache, write the results files); `build` (the merges). Beside them, a bare
 * Node read-parse-write stream over the same files. Calls are the emulator's own counters. Writes
 * bench/scale.json (or --out FILE).
 * Run: `npm run bench:scale [-- --files 20 --records 50000]` (~20 GB of disk at the default; about
 * 15 minutes of CPU, longer on a shared machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { get, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { emulatorEnv, mmluConfig, REPO, run } from './lib.ts';

const BIN = path.join(REPO, 'bin/pipeline.js');

export interface Step {
  name: string;
  code: number;
  ms: number;
  cpuMs: number;
  peakRss: number;
  inBytes?: number;
  outBytes?: number;
}

/** A CLI command timed with GNU time: wall, user + system CPU, peak RSS. */
async function timed(cwd: string, env: NodeJS.ProcessEnv, name: string, args: string[]): Promise<Step> {
  const out = path.join(os.tmpdir(), `bench-scale-${process.pid}-${Date.now()}`);
  const r = await run('/usr/bin/time', ['-f', '%M %U %S', '-o', out, process.execPath, BIN, ...args], { cwd, env });
  const [kb, user, sys] = (await readFile(out, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  await rm(out, { force: true });
  if (r.code !== 0 && r.code !== 75)
    throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return { name, code: r.code, ms: r.ms, cpuMs: (user! + sys!) * 1000, peakRss: kb! * 1024 };
}

async function bytesUnder(dir: string, keep: (f: string) => boolean = (f) => f.endsWith('.jsonl')): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir, { withFileTypes: true }))
    if (f.isFile() && keep(f.name)) total += (await stat(path.join(dir, f.name))).size;
  return total;
}

/** The runtime's limit: read lines, JSON.parse, JSON.stringify, write; one file at a time. */
const BASELINE = `
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { get, request } from 'node:http';
import { createInterface } from 'node:readline';
const [out, ...files] = process.argv.slice(1);
for (const f of files) {
  const w = createWriteStream(out);
  for await (const line of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) {
    if (!w.write(JSON.stringify(JSON.parse(line)) + '\\n')) await once(w, 'drain');
  }
  w.end();
  await once(w, 'close');
}
`;

function startEmulator(dir: string, speed: number): Promise<{ child: ChildProcess; url: string; port: number }> {
  const child = spawn(
    process.execPath,
    [BIN, 'emulator', '--port', '0', '--state-dir', path.join(dir, '.emulator'), '--speed', String(speed)],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Read with 'data' events, not for-await: leaving a for-await loop destroys the stream, and the
  // emulator's goodbye line then dies of EPIPE. It keeps being drained.
  let text = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      text += String(chunk);
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)/.exec(text);
      if (m) resolve({ child, url: m[1]!, port: Number(m[2]) });
    });
    child.once('close', () => reject(new Error(`the emulator did not start:\n${text}`)));
  });
}

function vmHwm(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The view's snapshot (what its page polls), timed: it must answer while batches are in flight. */
async function viewSnapshot(cwd: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const child = spawn(process.execPath, [BIN, 'view', '--port', '0', '--interval', '3600'], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let url: string | undefined;
  for await (const chunk of child.stdout) {
    text += String(chunk);
    url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    if (url) break;
  }
  if (!url) throw new Error(`view did not start:\n${text}`);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/snapshot`);
    await res.text();
    times.push(performance.now() - t);
  }
  child.kill('SIGINT');
  await once(child, 'close');
  return times;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '20' },
      records: { type: 'string', default: '50000' },
      keep: { type: 'boolean' },
      out: { type: 'string', default: 'bench/scale.json' },
    },
  });
  const files = Number(values.files);
  const records = Number(values.records);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-scale-'));
  console.log(`bench/scale: ${files} × ${records} requests in ${dir}`);
  const gen = await generateMmluDataset({
    outDir: path.join(dir, 'original'),
    subjects: files,
    recordsPerSubject: records,
  });
  await writeFile(path.join(dir, 'pipeline.config.ts'), mmluConfig());
  // Speed 1: a 50,000-request batch takes the emulator's hours, so every batch is in flight for status.
  const emu = await startEmulator(dir, 1);
  const env = emulatorEnv(emu.url);
  const steps: Step[] = [];
  // node:http without a timeout: an emulator busy running a million requests may take minutes to answer.
  const stats = () =>
    getJson(`http://127.0.0.1:${emu.port}/_emulator/stats`).catch((e: Error) => ({ error: e.message }));
  // The CLI's own cost of showing the job: without a key, status shows the last recorded state.
  const offlineEnv = { ...env, OPENAI_API_KEY: '' };
  try {
    const requests = await timed(dir, env, 'build requests', ['build', 'requests']);
    requests.inBytes = gen.bytes;
    requests.outBytes = await bytesUnder(path.join(dir, 'paraphrase_batch'));
    steps.push(requests);
    console.log(requests);
    const submit = await timed(dir, env, 'build batch (submit)', ['build', 'batch']);
    submit.inBytes = requests.outBytes;
    steps.push(submit);
    console.log(submit);
    const afterSubmit = await stats();
    const status: Step[] = [];
    for (let i = 0; i < 3; i++)
      status.push(await timed(dir, offlineEnv, 'status (no key: the recorded state)', ['status']));
    const statusJson = await timed(dir, offlineEnv, 'status --json (no key)', ['status', '--json']);
    const view = await viewSnapshot(dir, offlineEnv);
    const statusPolling = await timed(dir, env, 'status (polling the emulator)', ['status']);
    const afterStatus = await stats();
    console.log({ status, statusJson, view, statusPolling });
    await postJson(`http://127.0.0.1:${emu.port}/_emulator/clock`, { advanceMs: 30 * 3600_000 });
    // The provider's side, apart: the emulator runs every request of every batch.
    const ran = await emulatorFinishes(emu.port, files);
    steps.push(ran);
    console.log(ran);
    const collect = await timed(dir, env, 'build batch (collect into the cache, write the results files)', [
      'build',
      'batch',
    ]);
    collect.outBytes = await bytesUnder(path.join(dir, 'paraphrase_batch', 'results'));
    steps.push(collect);
    console.log(collect);
    const merge = await timed(dir, env, 'build (merge)', ['build']);
    merge.inBytes = gen.bytes + collect.outBytes;
    merge.outBytes = await bytesUnder(path.join(dir, 'paraphrased'));
    steps.push(merge);
    console.log(merge);
    const end = await stats();
    const emulatorPeakRss = vmHwm(emu.child.pid!);
    const sources = (await readdir(path.join(dir, 'original'))).map((f) => path.join(dir, 'original', f));
    const reqFiles = (await readdir(path.join(dir, 'paraphrase_batch')))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => path.join(dir, 'paraphrase_batch', f));
    const resFiles = (await readdir(path.join(dir, 'paraphrase_batch', 'results'))).map((f) =>
      path.join(dir, 'paraphrase_batch', 'results', f),
    );
    const baseOut = path.join(dir, 'baseline.out');
    const baseline = await run(
      '/usr/bin/time',
      [
        '-f',
        '%M',
        process.execPath,
        '--input-type=module',
        '-e',
        BASELINE,
        baseOut,
        ...sources,
        ...reqFiles,
        ...resFiles,
      ],
      { cwd: dir, rss: true },
    );
    const baselineBytes = gen.bytes + (requests.outBytes ?? 0) + (collect.outBytes ?? 0);
    const result = {
      at: new Date().toISOString(),
      files,
      records: gen.records,
      sourceBytes: gen.bytes,
      load: os.loadavg(),
      steps,
      status: { runs: status, json: statusJson, viewSnapshotMs: view, polling: statusPolling },
      emulator: { peakRss: emulatorPeakRss, afterSubmit, afterStatus, end },
      baseline: { ms: baseline.ms, bytes: baselineBytes, peakRss: baseline.peakRss },
      disk: {
        partsAndCache: await du(path.join(dir, '.pipeline')),
        emulator: await du(path.join(dir, '.emulator')),
        total: await du(dir),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    await writeFile(path.resolve(REPO, values.out), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    emu.child.kill('SIGTERM');
    await once(emu.child, 'close');
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

function postJson(url: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(text))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Waits until the emulator reports `batches` batches completed; a step without a CLI command (no RSS or CPU of ours). */
async function emulatorFinishes(port: number, batches: number): Promise<Step> {
  const start = performance.now();
  for (;;) {
    const s = (await getJson(`http://127.0.0.1:${port}/_emulator/stats`).catch(() => undefined)) as
      { batchesByStatus?: Record<string, number> } | undefined;
    if ((s?.batchesByStatus?.completed ?? 0) >= batches) break;
    await new Promise((resolve) => setTimeout(resolve, 2000)); // polling another process: no clock to inject
  }
  return { name: 'emulator runs every request', code: 0, ms: performance.now() - start, cpuMs: 0, peakRss: 0 };
}

async function du(dir: string): Promise<number> {
  const r = await run('du', ['-sb', dir], { cwd: dir });
  return Number(r.stdout.split('\t')[0]);
}

await main();

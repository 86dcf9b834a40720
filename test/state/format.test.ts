/**
 * The state format (src/util/state-format.ts), through the CLI a user runs.
 *
 * test/state/fixtures/0.1.0 is a job llmake 0.1.0 built to the end: its state files record no
 * format (written by write-fixture.ts at commit 6fc25a0 and kept byte for byte). This llmake reads
 * it as it is: every target up to date, the money it spent, and nothing sent again even for targets
 * forced to run (their ledgers, journals and request caches are read); the state log gets its
 * header from the first write. A state file a newer llmake wrote is refused, saying so and naming
 * it, and is left byte for byte as it was. A fresh build records the format in every state file.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/engine/state-store.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { STATE_FORMAT, STATE_HEADER } from '../../src/util/state-format.ts';
import { openStateLines } from '../../src/util/state-lines.ts';
import { FAKE_KEY } from '../e2e/helpers.ts';
import { runCliInProcess } from '../helpers/rig.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/0.1.0');
const TARGETS = ['requests', 'batch', 'online', 'merged'].flatMap((d) =>
  ['anatomy', 'astronomy'].map((s) => `${d}/${s}.jsonl`),
);
const NEWER = STATE_FORMAT + 1;

let dir: string | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = emulator = undefined;
});

/** A copy of the fixture (new mtimes, as a checkout gives), and an emulator to count what is sent. */
async function job(): Promise<{ dir: string; cli: (...args: string[]) => ReturnType<typeof runCliInProcess> }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-state-'));
  await cp(FIXTURE, dir, { recursive: true });
  emulator = await startEmulator({ stateDir: path.join(dir, 'emulator-state'), speed: 200 });
  const env = { OPENAI_API_KEY: FAKE_KEY, OPENAI_BASE_URL: emulator.url };
  const cwd = dir;
  return { dir, cli: (...args) => runCliInProcess(args, { cwd, env }) };
}

const fixture = (rel: string) => readFile(path.join(FIXTURE, 'job', rel), 'utf8');
const firstLine = async (file: string) => (await readFile(file, 'utf8')).split('\n')[0];

describe('a state llmake 0.1.0 left (no format recorded)', () => {
  it('is read as it is: every target up to date, its money, nothing sent again; the log gets its header', async () => {
    const { dir, cli } = await job();
    const spent = (await fixture('.pipeline/spend.jsonl'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { costUsd: number; requests: number });

    const status = await cli('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout) as { target: string; state: string }[];
    expect(rows.map((r) => [r.target, r.state]).sort()).toEqual(TARGETS.map((t) => [t, 'up-to-date']).sort());
    const money = await cli('status', '--json', '--money');
    const report = JSON.parse(money.stdout) as { spentUsd: number; requests: number };
    expect(report.requests).toBe(spent.reduce((n, e) => n + e.requests, 0));
    expect(report.spentUsd).toBeCloseTo(
      spent.reduce((n, e) => n + e.costUsd, 0),
      6,
    );

    const log = path.join(dir, 'job/.pipeline/targets.log');
    const built = await cli('build');
    expect(built.code, built.stdout + built.stderr).toBe(0);
    expect(built.stdout).toMatch(/8 up(-| )to(-| )date/);
    // The checkout's new mtimes made the records stale by stamps: the first write rewrote the log.
    expect(await firstLine(log)).toBe(STATE_HEADER);
    const old = new Map(
      (await fixture('.pipeline/targets.log'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { target: string; fingerprint: string })
        .map((r) => [r.target, r.fingerprint]),
    );
    const store = new StateStore(path.join(dir, 'job/.pipeline'));
    for (const target of TARGETS) expect((await store.read(target))?.fingerprint, target).toBe(old.get(target));

    // Forced: the batch stage reads its 0.1.0 ledger and request cache, the online stage its
    // journal and cache; every answer is there, so nothing is sent or paid again.
    const forced = await cli('build', '-B', 'batch/anatomy.jsonl', 'online/anatomy.jsonl');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    const stats = await emulator!.stats();
    expect({ batches: stats.batchesCreated, executed: stats.requestsExecuted }).toEqual({ batches: 0, executed: 0 });
    for (const rel of ['batch/anatomy.jsonl', 'online/anatomy.jsonl', 'merged/anatomy.jsonl'])
      expect(await readFile(path.join(dir, 'job', rel), 'utf8'), rel).toBe(await fixture(rel));
    expect(await readFile(path.join(dir, 'job/.pipeline/spend.jsonl'), 'utf8')).toBe(
      await fixture('.pipeline/spend.jsonl'),
    );
    const ledger = JSON.parse(await readFile(path.join(dir, 'job/batch/anatomy.batch.json'), 'utf8')) as {
      version: number;
    };
    expect(ledger.version).toBe(STATE_FORMAT);
    const again = await cli('status', '--json');
    expect((JSON.parse(again.stdout) as { state: string }[]).every((r) => r.state === 'up-to-date')).toBe(true);
  });
});

/** A file of the fixture as a newer llmake would have left it. */
const newer = {
  lines: (text: string) => `{"state_format":${NEWER}}\n${text}`,
  json: (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), version: NEWER }, null, 2),
};

describe('a state file a newer llmake wrote', () => {
  it.each([
    // The state log: refused before the command takes the lock (exit 2), by build and status alike.
    { file: '.pipeline/targets.log', make: newer.lines, args: ['build'], code: 2 },
    { file: '.pipeline/targets.log', make: newer.lines, args: ['status'], code: 2 },
    // Files of the whole job, met after the command began: the command stops (exit 2).
    { file: '.pipeline/spend.jsonl', make: newer.lines, args: ['status'], code: 2 },
    { file: '.pipeline/provider-limits.json', make: newer.json, args: ['build', '-B', 'batch/anatomy.jsonl'], code: 2 },
    // A target's own files: that target fails, naming the file (exit 1).
    { file: 'batch/anatomy.batch.json', make: newer.json, args: ['build', '-B', 'batch/anatomy.jsonl'], code: 1 },
    {
      file: '.pipeline/cache/batch/anatomy.jsonl',
      make: newer.lines,
      args: ['build', '-B', 'batch/anatomy.jsonl'],
      code: 1,
    },
    { file: 'online/anatomy.journal.jsonl', make: newer.lines, args: ['build', '-B', 'online/anatomy.jsonl'], code: 1 },
    {
      file: '.pipeline/cache/online/anatomy.jsonl',
      make: newer.lines,
      args: ['build', '-B', 'online/anatomy.jsonl'],
      code: 1,
    },
  ])('$file is refused by `$args.0`, saying so, and left as it is', async ({ file, make, args, code }) => {
    const { dir, cli } = await job();
    const at = path.join(dir, 'job', file);
    const text = make(await readFile(at, 'utf8'));
    await writeFile(at, text);
    const run = await cli(...args);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(code);
    // Named as the user sees it: from the working directory (a command's error) or the pipeline root (a target's).
    const shown = code === 2 ? path.join('job', file) : file;
    expect(output).toContain(
      `${shown} was written by a newer llmake (state format ${NEWER}; this llmake reads format ${STATE_FORMAT} and older)`,
    );
    expect(output).toContain('npm install --save-dev llmake@latest');
    expect(await readFile(at, 'utf8')).toBe(text);
    const stats = await emulator!.stats();
    expect({ batches: stats.batchesCreated, executed: stats.requestsExecuted }).toEqual({ batches: 0, executed: 0 });
  });
});

describe('a fresh build', () => {
  it('records the format in every state file it writes', async () => {
    const { dir, cli } = await job();
    await rm(path.join(dir, 'job'), { recursive: true });
    await cp(path.join(FIXTURE, 'job/original'), path.join(dir, 'job/original'), { recursive: true });
    const built = await cli('build', '--wait', '--poll-interval', '0.05');
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const at = (rel: string) => path.join(dir, 'job', rel);
    for (const rel of [
      '.pipeline/targets.log',
      '.pipeline/spend.jsonl',
      '.pipeline/cache/batch/anatomy.jsonl',
      '.pipeline/cache/online/astronomy.jsonl',
      'online/anatomy.journal.jsonl',
    ])
      expect(await firstLine(at(rel)), rel).toBe(STATE_HEADER);
    const ledger = JSON.parse(await readFile(at('batch/astronomy.batch.json'), 'utf8')) as { version: number };
    expect(ledger.version).toBe(STATE_FORMAT);
    // One header each, however many appends followed (the spend log had one per paid batch or run).
    const spend = (await readFile(at('.pipeline/spend.jsonl'), 'utf8')).split('\n');
    expect(spend.filter((l) => l === STATE_HEADER)).toHaveLength(1);
    expect(spend.filter((l) => l.startsWith('{"key"')).length).toBeGreaterThanOrEqual(4);
  });
});

describe('appending to a JSON-lines state file', () => {
  it('writes the header into a new file, keeps an old one as it is (mending a torn line), refuses a newer one', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-state-lines-'));
    const append = async (file: string, line: string) => {
      const handle = await openStateLines(file);
      try {
        await handle.write(`${line}\n`);
      } finally {
        await handle.close();
      }
    };
    const fresh = path.join(dir, 'new/cache.jsonl');
    await append(fresh, '{"a":1}');
    await append(fresh, '{"a":2}');
    expect(await readFile(fresh, 'utf8')).toBe(`${STATE_HEADER}\n{"a":1}\n{"a":2}\n`);

    const old = path.join(dir, 'old.jsonl');
    await writeFile(old, '{"a":1}\n{"a":'); // llmake 0.1.0's, torn by a crash
    await append(old, '{"a":3}');
    expect(await readFile(old, 'utf8')).toBe('{"a":1}\n{"a":\n{"a":3}\n');

    const newerFile = path.join(dir, 'newer.jsonl');
    await writeFile(newerFile, newer.lines('{"a":1}\n'));
    await expect(append(newerFile, '{"a":2}')).rejects.toThrow(
      `${newerFile} was written by a newer llmake (state format ${NEWER};`,
    );
    expect(await readFile(newerFile, 'utf8')).toBe(newer.lines('{"a":1}\n'));
  });
});

/**
 * What a no-op loads and reads, through the real bin as a user runs it (the prebuilt bundle): a
 * `build` or `status` with everything up to date loads neither zod nor any stage's code, because
 * the config this build validated before is in the config cache (a changed config is validated
 * again); it stats each file once and reads the state log once, and it neither needs a key nor,
 * with `--offline`, starts the emulator.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { currentBundle } from '../../bin/current-bundle.js';
import { startE2e, type E2e } from '../e2e/helpers.ts';

const REPORT = path.join(import.meta.dirname, 'fixtures/report-loaded.mjs');
const COUNT_READS = path.join(import.meta.dirname, 'fixtures/count-file-reads.mjs');

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

it('a no-op build and status load no zod; an edited config is validated (and so loads it) once', async () => {
  expect(currentBundle(), 'the CLI bundle is stale: run `npm run bundle` (npm ci does)').toBeDefined();
  e = await startE2e({ subjects: 2, recordsPerSubject: 3 });
  await e.buildUntilDone();
  // buildUntilDone runs from the sources, in this process: the bundle's first run validates the
  // config (and caches what it checked under its build's id), as a user's first run would.
  expect((await e.rig.cli(['build'], { env: e.env })).code).toBe(0);
  const run = async (args: string[]) => {
    const r = await e!.rig.cli(args, { env: { ...e!.env, NODE_OPTIONS: `--import=${REPORT}` } });
    expect(r.code, r.stderr).toBe(0);
    return /zod loaded: (\w+)/.exec(r.stderr)?.[1];
  };
  expect(await run(['build'])).toBe('false');
  expect(await run(['status'])).toBe('false');
  const config = await e.rig.read('pipeline.config.ts');
  await e.rig.write({ 'pipeline.config.ts': config.replace('max_tokens: 1024', 'max_tokens: 1000') });
  expect(await run(['build', '-n'])).toBe('true'); // validated again (and it prices the prompt change)
  expect(await run(['status'])).toBe('false');
});

it('a no-op build or status stats each file once and reads the state log once, with or without a key; with --offline it starts no emulator', async () => {
  expect(currentBundle(), 'the CLI bundle is stale: run `npm run bundle` (npm ci does)').toBeDefined();
  e = await startE2e({ subjects: 2, recordsPerSubject: 3 });
  await e.buildUntilDone();
  const noKey = { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
  for (const [args, env] of [
    [['build'], e.env],
    [['build'], noKey],
    [['build', '--offline', '--wait'], noKey],
    [['status'], e.env],
    [['status', '--offline'], noKey],
  ] as const) {
    const r = await e.rig.cli([...args], { env: { ...env, NODE_OPTIONS: `--import=${COUNT_READS}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 up(-| )to(-| )date/);
    const [, stats, files, logReads, servers] = /stats: (\d+) files: (\d+) log reads: (\d+) servers: (\d+)/
      .exec(r.stderr)!
      .map(Number);
    // 2 subjects: the source, the request file, the results and the merged file (the marker is the batch stage's).
    expect({ stats, files, logReads, servers }, args.join(' ')).toEqual({
      stats: 8,
      files: 8,
      logReads: 1,
      servers: 0,
    });
  }
});

it('status --json reads the spend log for its money; with --fields that leave money out it does not', async () => {
  expect(currentBundle(), 'the CLI bundle is stale: run `npm run bundle` (npm ci does)').toBeDefined();
  e = await startE2e({ subjects: 2, recordsPerSubject: 3 });
  await e.buildUntilDone();
  const spendReads = async (args: string[]) => {
    const r = await e!.rig.cli(args, { env: { ...e!.env, NODE_OPTIONS: `--import=${COUNT_READS}` } });
    expect(r.code, r.stderr).toBe(0);
    const [, stats, files, spend] = /stats: (\d+) files: (\d+) .* spend reads: (\d+)/.exec(r.stderr)!.map(Number);
    expect({ stats, files }, args.join(' ')).toEqual({ stats: 8, files: 8 });
    return spend;
  };
  expect(await spendReads(['status', '--json'])).toBe(1);
  expect(await spendReads(['status', '--json', '--fields', 'target,money'])).toBe(1);
  expect(await spendReads(['status', '--json', '--fields', 'target,state,reasons'])).toBe(0);
});

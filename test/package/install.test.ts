/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a fresh directory
 * outside the repository (only the registry's dependencies), then `pipeline init` on a CSV and on a
 * JSONL file and `pipeline build --offline --wait` through the installed bin, with plain node.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { REPO } from '../helpers/rig.ts';

const run = promisify(execFile);
const MINUTES = 60_000;

let dir: string;
/** Only what a user's shell would have: no npm_* variables of the test runner, no tsx loader. */
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  PIPELINE_EMULATOR_SPEED: '200',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
};

async function npx(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', ...args], { cwd, env, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function jsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-package-'));
  expect(path.relative(REPO, dir).startsWith('..')).toBe(true);
  await run('npm', ['pack', '--pack-destination', dir], { cwd: REPO, env: { ...env, PATH: process.env.PATH } });
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  await writeFile(path.join(dir, 'package.json'), '{ "name": "my-dataset-job", "private": true }\n');
  await run('npm', ['install', `./${tarball}`], { cwd: dir, env });
  // The CLI's own temp dir (its config cache lives there), to see what it caches.
  env.TMPDIR = path.join(dir, 'tmp');
  await mkdir(env.TMPDIR);
}, 10 * MINUTES);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the installed package', () => {
  it(
    'scaffolds a CSV job with pipeline init, prices it, and runs it offline',
    async () => {
      const rows = [
        { sku: 'A-1', review: 'A good product, I think it is very useful.' },
        { sku: 'B-2', review: 'It broke after a day; I need a new one.\nSecond line of the review.' },
        { sku: 'C-3', review: 'Easy to use but hard to clean, "really".' },
      ];
      const csv = ['sku,review', ...rows.map((r) => `${r.sku},"${r.review.replace(/"/g, '""')}"`)].join('\r\n');
      await mkdir(path.join(dir, 'data'));
      await writeFile(path.join(dir, 'data/shop.csv'), `${csv}\r\n`);
      await writeFile(path.join(dir, 'data/garden.csv'), `${csv}\r\n`);

      const init = await npx(dir, 'pipeline', 'init', 'data/*.csv');
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('Found CSV with a header row');
      expect(init.stdout).toContain('Id field: sku');
      expect(await readFile(path.join(dir, 'pipeline.config.ts'), 'utf8')).toContain("from 'llmake'");
      expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toContain('.pipeline/');

      const priced = await npx(dir, 'pipeline', 'build', '-n');
      expect(priced.code, priced.stderr).toBe(0);
      expect(priced.stdout).toMatch(/would send 6 requests .*\$[\d.]+ at batch price/);
      // The config init wrote (importing the package, which re-exports zod) is evaluated once, then
      // read from the cache: later commands start neither tsx nor the config's code.
      const cached = await readdir(path.join(env.TMPDIR!, `llmake-${process.getuid!()}`, 'configs'));
      expect(cached.filter((f) => f.endsWith('.json'))).toHaveLength(1);

      const built = await npx(dir, 'pipeline', 'build', '--offline', '--wait');
      expect(built.code, built.stdout + built.stderr).toBe(0);
      for (const name of ['shop', 'garden']) {
        const merged = await jsonl(path.join(dir, `out/merged/${name}.jsonl`));
        expect(merged.map((m) => [m.sku, m.review, m.reply])).toEqual(
          rows.map((r) => [r.sku, r.review, standInParaphrase(r.review)]),
        );
      }
    },
    5 * MINUTES,
  );

  it(
    'scaffolds a JSONL job from one file and runs it offline',
    async () => {
      const project = path.join(dir, 'jsonl-project');
      const records = Array.from({ length: 4 }, (_, i) => ({
        id: i + 1,
        lang: 'en',
        text: `Record ${i + 1}: maybe the answer is easy, but we need to think.`,
      }));
      await mkdir(project);
      await writeFile(path.join(project, 'notes.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
      const init = await npx(project, 'pipeline', 'init', '--from', 'notes.jsonl');
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('Found JSONL (one JSON object per line): notes.jsonl');
      expect(init.stdout).toContain('Prompt text: {text}');
      const built = await npx(project, 'pipeline', 'build', '--offline', '--wait');
      expect(built.code, built.stdout + built.stderr).toBe(0);
      const merged = await jsonl(path.join(project, 'out/merged/notes.jsonl'));
      expect(merged.map((m) => [m.id, m.reply])).toEqual(records.map((r) => [r.id, standInParaphrase(r.text)]));
    },
    5 * MINUTES,
  );

  it(
    "types the user's config: the written one checks, a misspelt option does not",
    async () => {
      // One compiler run over both (tsc takes long to start on a busy machine).
      const config = await readFile(path.join(dir, 'pipeline.config.ts'), 'utf8');
      await writeFile(path.join(dir, 'misspelt.config.ts'), config.replace('params:', 'parmas:'));
      await writeFile(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] },
          include: ['pipeline.config.ts', 'misspelt.config.ts'],
        }),
      );
      const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
      const output = await run(process.execPath, [tsc, '-p', '.'], { cwd: dir, env }).then(
        () => '',
        (e: { stdout?: string }) => e.stdout ?? 'failed',
      );
      const errors = output.split('\n').filter((l) => /error TS/.test(l));
      expect(errors).toEqual([
        expect.stringMatching(/^misspelt\.config\.ts\(\d+,\d+\): error TS\d+: .*'parmas' does not exist/),
      ]);
    },
    2 * MINUTES,
  );
});

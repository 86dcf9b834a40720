/**
 * The package as a user gets it, the way the README's first block installs it: `npm pack` (in
 * this checkout, standing for the reader's clone), installed from the tarball into a fresh
 * directory outside the repository (only the registry's dependencies), then `pipeline init` on a
 * CSV and on a JSONL file and `pipeline build --offline --wait` through the installed bin, with
 * plain node. Before that: what the tarball holds (what `npm publish` would upload), that
 * `npm publish --dry-run` has nothing to correct, and that the install is quiet.
 *
 * `npm pack` runs `prepack` (npm run build: dist/ of this checkout, with tsc) but no longer
 * re-bundles the checkout's CLI: that is `postprepare` (npm ci), because a `prepare` run by this
 * pack once replaced the bundle other test files were running from (scripts/publish-bundle.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** A line of `npm install-scripts ls` (npm ≥ 11.16): a package whose install scripts the project has not reviewed. */
const UNREVIEWED = /^ {2}(\S+)@[^@\s]+ \((.+)\)$/;
/**
 * Dependencies (or theirs) that have install scripts, none of which llmake needs: @google/genai's
 * is `echo 'preinstall: no-op'`, protobufjs's checks the version scheme of its dependents, and
 * esbuild's (through tsx) verifies the platform binary its optional dependency already installed.
 * The README tells the user to deny them (`npm install-scripts deny …`, which writes these
 * entries), and the project below is installed so: none of their scripts runs.
 */
const UNNEEDED_SCRIPTS = ['@google/genai', 'esbuild', 'protobufjs'];

const manifest = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
let tarball: string;
let packed: string[];
let install: { stdout: string; stderr: string };

/** The JSON npm prints after the output of the lifecycle scripts it ran. */
const npmJson = (stdout: string): unknown => JSON.parse(stdout.slice(stdout.search(/^[[{]/m)));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-package-'));
  expect(path.relative(REPO, dir).startsWith('..')).toBe(true);
  const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, env });
  const [info] = npmJson(pack.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = info!.filename;
  packed = info!.files.map((f) => f.path);
  const allowScripts = Object.fromEntries(UNNEEDED_SCRIPTS.map((name) => [name, false]));
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'my-dataset-job', private: true, allowScripts }, null, 2)}\n`,
  );
  install = await run('npm', ['install', '--save-dev', `./${tarball}`], { cwd: dir, env });
  // The CLI's own temp dir (its config cache lives there), to see what it caches.
  env.TMPDIR = path.join(dir, 'tmp');
  await mkdir(env.TMPDIR);
}, 10 * MINUTES);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the installed package', () => {
  it('is what the README installs: the tarball of this version, packed from a clone', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(tarball).toBe(`${manifest.name}-${manifest.version}.tgz`);
    expect(firstBlock).toMatch(/^git clone .+ (\S+) && \(cd \1 && npm ci && npm pack\)/m);
    expect(firstBlock).toContain(`npm install --save-dev ~/llmake/${tarball}`);
    expect(firstBlock).toContain(`once published: npm install --save-dev ${manifest.name}`);
    for (const command of [
      "npx pipeline init 'data/*.csv'",
      'npx pipeline build -n',
      'npx pipeline build --offline --wait',
    ])
      expect(firstBlock).toContain(command);
  });

  it('holds what a user needs and nothing else; npm publish --dry-run has nothing to correct', async () => {
    for (const file of packed)
      expect(file).toMatch(
        /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|docs\/config\.md|bin\/pipeline\.js|bin\/current-bundle\.js|dist\/src\/.+\.(js|d\.ts|html|css))$/,
      );
    for (const needed of [
      'bin/pipeline.js',
      'dist/src/cli/run.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'docs/config.md',
      'CHANGELOG.md',
      'LICENSE',
    ])
      expect(packed).toContain(needed);
    const changelog = await readFile(path.join(REPO, 'CHANGELOG.md'), 'utf8');
    expect(changelog, 'a section for this version').toMatch(
      new RegExp(`^## ${manifest.version.replaceAll('.', '\\.')} `, 'm'),
    );
    expect(
      packed.filter((f) => f.startsWith('dist/src/data/')),
      "the MMLU generator is the repository's",
    ).toEqual([]);
    // The registry is never reached (a closed loopback port, no retries); no script runs (dist/ is
    // the one just packed). A machine not logged in to the registry is the one warning a dry run
    // may give; anything about the package itself would be another (e.g. npm correcting `bin`).
    const registry = 'http://127.0.0.1:9/';
    const dry = await run(
      'npm',
      ['publish', '--dry-run', '--ignore-scripts', '--json', `--registry=${registry}`, '--fetch-retries=0'],
      { cwd: REPO, env },
    );
    const warnings = dry.stderr
      .split('\n')
      .filter((l) => l.startsWith('npm warn'))
      .filter((l) => l !== `npm warn publish This command requires you to be logged in to ${registry} (dry-run)`);
    expect(warnings).toEqual([]);
    const published = (npmJson(dry.stdout) as Record<string, { files: { path: string }[] }>)[manifest.name]!;
    expect(published.files.map((f) => f.path).sort()).toEqual([...packed].sort());
  });

  it('installs silently, with no install script of its own and without its dev dependencies', async () => {
    expect(install.stderr).toBe('');
    const installed = JSON.parse(
      await readFile(path.join(dir, 'node_modules', manifest.name, 'package.json'), 'utf8'),
    ) as {
      scripts?: Record<string, string>;
    };
    // What npm runs (or, unreviewed, lists) when a package is installed from a tarball or a folder.
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(installed.scripts?.[script], script).toBeUndefined();
    expect(existsSync(path.join(dir, 'node_modules', manifest.name, 'binding.gyp'))).toBe(false);
    // A project that has not reviewed them yet is told about these three only.
    const [major, minor] = (await run('npm', ['--version'], { env })).stdout.split('.').map(Number);
    if (major! > 11 || (major === 11 && minor! >= 16)) {
      const file = path.join(dir, 'package.json');
      const reviewed = await readFile(file, 'utf8');
      const { allowScripts: _, ...bare } = JSON.parse(reviewed) as Record<string, unknown>;
      await writeFile(file, JSON.stringify(bare));
      try {
        const ls = await run('npm', ['install-scripts', 'ls'], { cwd: dir, env });
        const listed = ls.stdout.split('\n').flatMap((l) => UNREVIEWED.exec(l)?.[1] ?? []);
        expect(listed.sort(), ls.stdout).toEqual(UNNEEDED_SCRIPTS);
      } finally {
        await writeFile(file, reviewed);
      }
    }
    const tree = JSON.parse((await run('npm', ['ls', '--all', '--json'], { cwd: dir, env })).stdout) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, unknown> }>;
    };
    const llmake = tree.dependencies[manifest.name]!;
    expect(llmake.version).toBe(manifest.version);
    expect(Object.keys(llmake.dependencies ?? {}).sort()).toEqual(Object.keys(manifest.dependencies).sort());
    for (const dev of ['typescript', 'vitest', 'eslint', 'prettier', 'playwright-core', 'ajv']) {
      expect(Object.hasOwn(manifest.devDependencies, dev), dev).toBe(true);
      expect(existsSync(path.join(dir, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('answers --version and --help with plain node, saying nothing on stderr', async () => {
    const version = await npx(dir, 'pipeline', '--version');
    expect(version).toEqual({ code: 0, stdout: `pipeline ${manifest.version}\n`, stderr: '' });
    const help = await npx(dir, 'pipeline', '--help');
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('Usage: pipeline <command> [targets...] [options]');
    for (const command of ['init', 'build', 'status', 'cancel', 'clean', 'graph', 'watch', 'view', 'emulator'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const buildHelp = await npx(dir, 'pipeline', 'build', '--help');
    expect(buildHelp.code, buildHelp.stderr).toBe(0);
    expect(buildHelp.stdout).toContain('--offline');
  });

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

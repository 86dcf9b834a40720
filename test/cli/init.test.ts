/** `pipeline init` in a subprocess, as a user runs it: scaffold, refuse to overwrite, then build what it wrote. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { PACKAGE_NAME } from '../../src/package-name.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => (rig = await Rig.create('pipeline-init-')));
afterEach(() => rig.dispose());

const CSV = [
  'sku,review,stars',
  'A1,"Good product, I think it is very useful",5',
  'B2,"It broke; I need a new one",1',
  'C3,"Easy to use but hard to clean",3',
  '',
].join('\n');

/** Inside the repository the package is not installed: point the written config at the source. */
async function useRepoSource(): Promise<void> {
  const text = await rig.read('pipeline.config.ts');
  expect(text).toContain("from 'llmake'");
  await rig.write({
    'pipeline.config.ts': text.replace("'llmake'", JSON.stringify(path.join(REPO, 'src/config/define.ts'))),
  });
}

describe('pipeline init', () => {
  it('is listed in --help, has its own, and imports the package by its published name', async () => {
    const [top, own] = await Promise.all([rig.cli(['--help']), rig.cli(['init', '--help'])]);
    expect(top.stdout).toMatch(/^ {2}init +write a pipeline\.config\.ts for your dataset/m);
    expect(own.stdout).toMatch(/^Usage: pipeline init \[GLOB/);
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { name: string };
    expect(PACKAGE_NAME).toBe(pkg.name);
  });

  it('scaffolds a config for a glob of CSV files and says what it found', async () => {
    await rig.write({ 'data/shop.csv': CSV, 'data/garden.csv': CSV, '.gitignore': 'node_modules/' });
    const result = await rig.cli(['init', 'data/*.csv']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Found CSV with a header row: data/garden.csv (2 files match data/{file}.csv)');
    expect(result.stdout).toMatch(/^ {2}review +text, \d+ chars on average, unique$/m);
    expect(result.stdout).toContain('Id field: sku');
    expect(result.stdout).toContain('Prompt text: {review}; the reply goes to "reply"');
    expect(result.stdout).toContain('npx pipeline build --offline --wait');
    const config = await rig.read('pipeline.config.ts');
    expect(config).toContain("inputs: ['data/{file}.csv']");
    expect(config).toContain("const ID_FIELD = 'sku';");
    expect(config).toContain("const CUSTOM_ID = '{file}-{sku}';");
    expect(config).toContain("'{review}',");
    expect(await rig.read('.gitignore')).toBe(
      "node_modules/\n# pipeline's state: request cache, batch ledgers, lock\n.pipeline/\n",
    );
  });

  it('takes the files a shell expanded, and builds what it wrote offline', async () => {
    const records = [
      { id: 7, title: 'First', body: 'The answer is very easy to get.' },
      { id: 8, title: 'Second', body: 'Maybe it is hard, but we try.' },
    ];
    await rig.write({
      'in/part-1.json': JSON.stringify(records, null, 2),
      'in/part-2.json': JSON.stringify([{ id: 9, title: 'Third', body: 'A small house.' }]),
    });
    const init = await rig.cli(['init', 'in/part-1.json', 'in/part-2.json']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Found JSON array of objects: in/part-1.json (2 files match in/part-{file}.json)');
    expect(init.stdout).toContain('Prompt text: {body}');
    await useRepoSource();
    const build = await rig.cli(['build', '--offline', '--wait'], { env: { PIPELINE_EMULATOR_SPEED: '200' } });
    expect(build.code, build.stdout + build.stderr).toBe(0);
    const merged = (await rig.lines('out/merged/part-1.jsonl')) as Record<string, unknown>[];
    expect(merged.map((m) => [m.id, m.reply])).toEqual(records.map((r) => [r.id, standInParaphrase(r.body)]));
    expect(merged[0]!.reply_tokens).toMatchObject({
      input: expect.any(Number) as number,
      output: expect.any(Number) as number,
    });
  });

  it('refuses to replace a config without --force, and replaces it with', async () => {
    await rig.write({ 'pipeline.config.ts': '// mine\n', 'data.jsonl': '{"id": 1, "text": "hello there"}\n' });
    const refused = await rig.cli(['init', '--from', 'data.jsonl']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pipeline.config.ts already exists; add --force to replace it');
    expect(await rig.read('pipeline.config.ts')).toBe('// mine\n');
    expect(existsSync(rig.path('.gitignore'))).toBe(false);
    const forced = await rig.cli(['init', '--from', 'data.jsonl', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Found JSONL (one JSON object per line): data.jsonl');
    const config = await rig.read('pipeline.config.ts');
    // One file: outputs named after it, no wildcard.
    expect(config).toContain("inputs: ['data.jsonl']");
    expect(config).toContain("output: 'out/merged/data.jsonl'");
    expect(config).toContain("const CUSTOM_ID = '{id}';");
  });

  it('errors clearly when no field identifies a record, and takes --id', async () => {
    const rows = ['author,comment', 'ann,"Nice one"', 'bob,"Not for me"', 'ann,"Second look"', ''].join('\n');
    await rig.write({ 'notes.csv': rows });
    const refused = await rig.cli(['init', '--from', 'notes.csv']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('notes.csv: no field identifies a record');
    expect(refused.stderr).toContain('--id FIELD');
    expect(existsSync(rig.path('pipeline.config.ts'))).toBe(false);
    const named = await rig.cli(['init', '--from', 'notes.csv', '--id', 'comment']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toContain('Id field: comment');
    expect(named.stdout).toContain('Prompt text: {author}');
  });

  it.each([
    [['init'], 'name the dataset'],
    [['init', 'nothing/*.csv'], 'no file matches nothing/*.csv'],
    [['init', '**/*.csv'], 'use one "*" in the file name'],
    [['init', '--from', 'a.csv', 'b.csv'], 'either --from FILE or a glob'],
  ])('%j is a usage error', async (args, message) => {
    const result = await rig.cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

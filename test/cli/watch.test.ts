/** `pipeline watch`: an edit rebuilds only what it affects; Ctrl-C exits cleanly. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { localConfig, records, Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': localConfig(),
    'data/original/a.jsonl': records('a', 2),
    'data/original/b.jsonl': records('b', 2),
  });
});
afterEach(() => rig.dispose());

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('rebuilds only the subject whose source was edited, reloads the config, and stops on SIGINT', async () => {
  const run = rig.cli(['watch']);
  let out = '';
  run.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('4 built'), 'the initial build');
  const mark = out.length;
  await rig.write({ 'data/original/b.jsonl': records('b', 3) });
  await until(() => out.slice(mark).includes('up to date'), 'the rebuild after the edit');
  const rebuild = out.slice(mark);
  expect(rebuild).toContain('watch: original/b.jsonl changed');
  expect(rebuild).toContain('✓ built       requests/b.jsonl');
  expect(rebuild).toContain('✓ built       counts/b.txt');
  expect(rebuild).not.toContain('a.jsonl');
  expect(rebuild).toMatch(/2 built, 2 up to date/);

  const mark2 = out.length;
  await rig.write({ 'pipeline.config.ts': localConfig({ prompt: 'New prompt <text>{analysis}</text>' }) });
  await until(() => /4 built/.test(out.slice(mark2)), 'the rebuild after the config change');
  expect(out.slice(mark2)).toContain('watch: config changed');

  process.kill(run.child.pid!, 'SIGINT');
  const result = await run;
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('watch: stopped');
});

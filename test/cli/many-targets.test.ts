/**
 * Regression: a no-op build over more targets than the process may open files at once. Freshness
 * checks used to start all at once; past the descriptor limit a record read failed with EMFILE,
 * was taken for "never built", and a no-op build rebuilt work (135 s at 22,800 targets).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { records, REPO, Rig } from '../helpers/rig.ts';

const CONFIG = `export default {
  root: 'data',
  rules: [{ name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl', stage: { kind: 'requests', prompt: '<text>{analysis}</text>' } }],
};
`;
const TARGETS = 600;

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.create();
  const files: Record<string, unknown[]> = {};
  for (let i = 0; i < TARGETS; i++) files[`data/original/s${i}.jsonl`] = records(`s${i}`, 1);
  await rig.write({ 'pipeline.config.ts': CONFIG, ...files });
  expect((await rig.cli(['build'])).stdout).toMatch(new RegExp(`\n${TARGETS} built\n$`));
});
afterAll(() => rig.dispose());

it('a no-op build with fewer file descriptors than targets stays a no-op', () => {
  const loader = path.join(REPO, 'node_modules/tsx/dist/loader.mjs');
  const run = spawnSync(
    'sh',
    [
      '-c',
      `ulimit -n 256 && exec "${process.execPath}" --import "${loader}" "${path.join(REPO, 'pipeline.ts')}" build`,
    ],
    { cwd: rig.dir, env: { PATH: process.env.PATH, NO_COLOR: '1' }, encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe(`${TARGETS} up to date\n`);
  expect(run.status).toBe(0);
});

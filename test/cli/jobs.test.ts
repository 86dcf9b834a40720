/** `build -j N` runs at most N targets at once (as make's and ninja's -j); -j 0 is a usage error. */
import { afterEach, expect, it } from 'vitest';
import { localConfig, records, Rig } from '../helpers/rig.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

it('-j 1 runs one target at a time; -j 0 is refused', async () => {
  rig = await Rig.create();
  const subjects = ['anatomy', 'astronomy', 'virology', 'nutrition'];
  // Each step notes when it starts and ends (in one log, appended), sleeping in between.
  const note = (what: string) => `echo ${what} {subject} >> "$PWD/../steps.log"`;
  await rig.write({
    'pipeline.config.ts': localConfig({
      extraRules: `{ name: 'slow', inputs: ['counts/{subject}.txt'], output: 'slow/{subject}.txt',
        stage: { kind: 'shell', command: ${JSON.stringify(`${note('start')}; sleep 0.2; cp {input} {output}; ${note('end')}`)} } },`,
    }),
    ...Object.fromEntries(subjects.map((s) => [`data/original/${s}.jsonl`, records(s, 2)])),
  });
  expect(await rig.cli(['build', '-j', '0'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--jobs takes a whole number ≥ 1') as string,
  });
  const run = await rig.cli(['build', '-j', '1']);
  expect(run.code, run.stderr).toBe(0);
  const steps = (await rig.read('steps.log')).trim().split('\n');
  expect(steps).toHaveLength(2 * subjects.length);
  // Serial: every start is followed by its own end before the next start.
  for (let i = 0; i < steps.length; i += 2) expect(steps[i + 1]).toBe(steps[i]!.replace('start', 'end'));
});

/** `pipeline view` on the command line: listed, --help, bad options, a port already taken. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Rig } from '../helpers/rig.ts';
import { mmluRig, source } from './fixture.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await mmluRig();
  await rig.write({ 'results/mmlu/original/anatomy.jsonl': [source(1)] });
});
afterAll(() => rig.dispose());

it('is listed and has --help', async () => {
  expect((await rig.cli(['--help'])).stdout).toMatch(/\n {2}view +Serve a local web page/);
  const help = await rig.cli(['view', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: pipeline view [targets...] [--port N] [--open] [--offline]');
  for (const option of ['--port N', '--open', '--offline', '--interval SECONDS', 'never takes the build lock'])
    expect(help.stdout).toContain(option);
  expect((await rig.cli(['status', '--help'])).stdout).toContain('--html FILE');
});

it('bad options and a taken port are usage errors (exit 2)', async () => {
  expect(await rig.cli(['view', '--port', 'abc'])).toMatchObject({ code: 2 });
  expect(await rig.cli(['view', '--port', '70000'])).toMatchObject({ code: 2 });
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const busy = await rig.cli(['view', '--port', String(port)]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`port ${port} is already in use`);
    expect(busy.stderr).toContain('--port 0');
  } finally {
    taken.close();
  }
});

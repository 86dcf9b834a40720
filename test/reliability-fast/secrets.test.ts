/** The API key is never written or printed; files are not world-writable; the emulator is loopback only. */
import { expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import { exposedAddresses, secretsCheck } from '../reliability/secrets.ts';
import { Rig } from '../helpers/rig.ts';

it('a distinctive fake key appears in no file under the root and in no output; nothing is world-writable', async () => {
  const s = await secretsCheck();
  expect(s.filesSearched).toBeGreaterThan(10);
  expect(s.leaks).toEqual([]);
  expect(s.worldWritable).toEqual([]);
  expect(s.exposedOn).toEqual([]);
}, 120_000);

it('the emulator listens on 127.0.0.1 only', async () => {
  const rig = await Rig.create();
  const emu = await startEmulator({ stateDir: rig.path('emu') });
  try {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(await exposedAddresses(emu.port)).toEqual([]);
  } finally {
    await emu.close();
    await rig.dispose();
  }
});

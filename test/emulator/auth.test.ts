import OpenAI, { AuthenticationError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { maskKey } from '../../src/emulator/openai/auth.ts';
import { startRig, submit, type Rig } from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const RIGHT = 'sk-emulator-right-key-0001';
const WRONG = 'sk-emulator-wrong-key-abcd';

describe('apiKey', () => {
  it('when set, any other bearer key gets the real 401 invalid_api_key (key masked); the right one works', async () => {
    const r = (rig = await startRig({ apiKey: RIGHT }));
    const wrong = new OpenAI({ apiKey: WRONG, baseURL: r.emulator.url, maxRetries: 0 });
    const refused = wrong.batches.list();
    await expect(refused).rejects.toBeInstanceOf(AuthenticationError);
    await expect(refused).rejects.toMatchObject({
      status: 401,
      error: {
        message: `Incorrect API key provided: sk-${'*'.repeat(WRONG.length - 7)}abcd. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    await expect(wrong.files.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    await expect(r.client.batches.list()).rejects.toMatchObject({ status: 401 }); // the rig's client sends 'test'
    const right = new OpenAI({ apiKey: RIGHT, baseURL: r.emulator.url, maxRetries: 0 });
    expect((await submit(right, 1)).status).toBe('validating');
    const noKey = await fetch(`${r.emulator.url}/batches`);
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { message: string } }).error.message).toMatch(
      /^You didn't provide an API key/,
    );
    // Test controls are not API routes: no key needed.
    expect((await fetch(`http://127.0.0.1:${r.emulator.port}/_emulator/stats`)).status).toBe(200);
    expect((await r.emulator.stats()).batchesCreated).toBe(1);
  });

  it('unset: any key is accepted', async () => {
    const r = (rig = await startRig());
    await expect(
      new OpenAI({ apiKey: WRONG, baseURL: r.emulator.url, maxRetries: 0 }).batches.list(),
    ).resolves.toBeDefined();
  });

  it('masks the echoed key, never showing it whole', () => {
    expect(maskKey('sk-abcdefghijkl1234')).toBe('sk-************1234');
    expect(maskKey('short')).toBe('*****');
  });
});

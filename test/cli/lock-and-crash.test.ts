/** One build at a time per root; a killed build's lock is taken over; a killed write never looks done. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { records, Rig } from '../helpers/rig.ts';

const SLOW_CONFIG = `export default {
  root: 'data',
  rules: [
    { name: 'slow', inputs: ['original/{subject}.jsonl'], output: 'slow/{subject}.txt', stage: { kind: 'shell', command: 'sleep 3 && cp {input} {output}' } },
  ],
};
`;

const BIG_CONFIG = `export default {
  root: 'data',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl', stage: { kind: 'requests', prompt: '<text>{analysis}</text>' } },
  ],
};
`;

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
});
afterEach(() => rig.dispose());

describe('one build at a time', () => {
  it('a second build stops with a clear message naming the holder, and changes nothing', async () => {
    await rig.write({ 'pipeline.config.ts': SLOW_CONFIG, 'data/original/a.jsonl': records('a', 1) });
    const first = rig.cli(['build']);
    await until(() => existsSync(rig.path('data/.pipeline/lock')), 'the first build to take the lock');
    const second = await rig.cli(['build']);
    expect(second.code).toBe(75);
    expect(second.stderr).toMatch(
      new RegExp(
        `another build is running in .*: pid ${first.child.pid} on .*\\(\`pipeline build\`, started \\d+s ago\\)`,
      ),
    );
    const done = await first;
    expect(done.code).toBe(0);
    expect(await rig.read('data/slow/a.txt')).toBe(await rig.read('data/original/a.jsonl'));
    expect(existsSync(rig.path('data/.pipeline/lock'))).toBe(false);
  });

  it('the lock of a killed build is taken over', async () => {
    await rig.write({ 'pipeline.config.ts': SLOW_CONFIG, 'data/original/a.jsonl': records('a', 1) });
    const first = rig.cli(['build']);
    await until(() => existsSync(rig.path('data/.pipeline/lock')), 'the lock');
    process.kill(-first.child.pid!, 'SIGKILL');
    await first;
    expect(existsSync(rig.path('data/.pipeline/lock'))).toBe(true);
    const next = await rig.cli(['build']);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(existsSync(rig.path('data/slow/a.txt'))).toBe(true);
  });
});

describe('status during a build', () => {
  it('status --offline does not start a second emulator on the state a running build owns', async () => {
    await rig.write({ 'pipeline.config.ts': SLOW_CONFIG, 'data/original/a.jsonl': records('a', 1) });
    const { hostname } = await import('node:os');
    await rig.write({
      'data/.pipeline/lock': JSON.stringify({
        pid: process.pid,
        host: hostname(),
        command: 'build --offline',
        startedAt: Date.now(),
      }),
    });
    const status = await rig.cli(['status', '--offline']);
    expect(status.code).toBe(0);
    expect(status.stderr).toContain(`status: not refreshing from the emulator while pid ${process.pid}`);
    expect(existsSync(rig.path('data/.pipeline/emulator'))).toBe(false);
  });
});

describe('crash safety', () => {
  it('a build killed while writing a large output leaves no file that looks done; the next build finishes it', async () => {
    const big = records('big', 40_000, (i) => ({
      analysis: `Analysis ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}`,
    }));
    await rig.write({ 'pipeline.config.ts': BIG_CONFIG, 'data/original/big.jsonl': big });
    const run = rig.cli(['build']);
    const dir = rig.path('data/requests');
    await until(
      async () => existsSync(dir) && (await readdir(dir)).some((f) => f.includes('.tmp-')),
      'the temp output to appear',
    );
    process.kill(-run.child.pid!, 'SIGKILL');
    await run;
    expect(existsSync(path.join(dir, 'big.jsonl'))).toBe(false);
    const status = await rig.cli(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject([
      { target: 'requests/big.jsonl', state: 'stale', reasons: ['never built'] },
    ]);
    const again = await rig.cli(['build']);
    expect(again.code).toBe(0);
    expect((await rig.read('data/requests/big.jsonl')).split('\n').filter(Boolean)).toHaveLength(40_000);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]); // the killed build's temp file is gone
  });
});

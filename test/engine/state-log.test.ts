import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore, STATE_LOG, type TargetRecord } from '../../src/engine/state-store.ts';

const record = (target: string, fingerprint = 'f1'): TargetRecord => ({
  version: 1,
  target,
  rule: 'r',
  configHash: 'c',
  fingerprint,
  inputs: { 'in.jsonl': { sha256: 'abc', mtimeMs: 1, size: 2 } },
  output: { sha256: 'def', mtimeMs: 3, size: 4 },
  builtAt: 5,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'state-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = () =>
  readFileSync(path.join(dir, STATE_LOG), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);

describe('the state log', () => {
  it('reads back records with non-ASCII text (paths, failure messages) exactly, beside ASCII ones', async () => {
    const store = new StateStore(dir);
    await store.write(record('plain.jsonl'));
    await store.write({
      ...record('données/élève.jsonl'),
      failure: { reason: 'bad-input', message: 'ligne 3 : « € »', at: 6 },
    });
    const again = new StateStore(dir);
    expect((await again.read('données/élève.jsonl'))?.failure?.message).toBe('ligne 3 : « € »');
    expect(await again.read('plain.jsonl')).toEqual(record('plain.jsonl'));
  });

  it('keeps the last record of each target, forgets removed ones, across stores', async () => {
    const store = new StateStore(dir);
    await store.write(record('a', 'f1'));
    await store.write(record('b'));
    await store.write(record('a', 'f2'));
    await store.remove('b');
    const again = new StateStore(dir);
    expect((await again.read('a'))?.fingerprint).toBe('f2');
    expect(await again.read('b')).toBeUndefined();
    expect(await again.read('never')).toBeUndefined();
    expect(lines()).toHaveLength(4); // appended, not rewritten
  });

  it('skips a torn last line, and the next append starts on a line of its own', async () => {
    await new StateStore(dir).write(record('a'));
    appendFileSync(path.join(dir, STATE_LOG), JSON.stringify(record('b')).slice(0, 40)); // a crash mid-append
    const store = new StateStore(dir);
    expect(await store.read('b')).toBeUndefined();
    await store.write(record('c'));
    const again = new StateStore(dir);
    expect(await again.read('a')).toBeDefined();
    expect(await again.read('c')).toBeDefined();
  });

  it('a line this version cannot use reads as no record for its target (stale), not as an error', async () => {
    await new StateStore(dir).write(record('a'));
    appendFileSync(path.join(dir, STATE_LOG), `${JSON.stringify({ ...record('a'), version: 99 })}\nnot json\n`);
    expect(await new StateStore(dir).read('a')).toBeUndefined();
  });

  it('the first write of a build drops superseded lines once they outnumber the live ones', async () => {
    // A log as many builds leave it: 100 versions of one target's record, one of another.
    const versions = Array.from({ length: 100 }, (_, i) => `${JSON.stringify(record('a', `f${i}`))}\n`);
    writeFileSync(path.join(dir, STATE_LOG), `${versions.join('')}${JSON.stringify(record('b'))}\n`);
    const next = new StateStore(dir);
    await next.write(record('c'));
    expect(lines()).toHaveLength(3);
    const again = new StateStore(dir);
    expect((await again.read('a'))?.fingerprint).toBe('f99');
    expect(await again.read('b')).toBeDefined();
    expect(await again.read('c')).toBeDefined();
  });

  it("reads an older version's per-target files, and the first write moves them into the log", async () => {
    const legacy = path.join(dir, 'targets', 'paraphrased');
    mkdirSync(legacy, { recursive: true });
    writeFileSync(path.join(legacy, 'anatomy.jsonl.json'), JSON.stringify(record('paraphrased/anatomy.jsonl')));
    writeFileSync(path.join(dir, 'targets', 'requests.jsonl.json'), JSON.stringify(record('requests.jsonl')));
    const store = new StateStore(dir);
    expect(await store.read('paraphrased/anatomy.jsonl')).toBeDefined();
    await store.remove('requests.jsonl');
    expect(existsSync(path.join(dir, 'targets'))).toBe(false);
    const again = new StateStore(dir);
    expect(await again.read('paraphrased/anatomy.jsonl')).toBeDefined();
    expect(await again.read('requests.jsonl')).toBeUndefined();
  });
});

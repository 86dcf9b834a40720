import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateStore, STATE_LOG, type TargetRecord } from '../../src/engine/state-store.ts';
import { NewerStateError, STATE_FORMAT, STATE_HEADER } from '../../src/util/state-format.ts';

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

/** The log's lines after its header (which every log this version writes starts with). */
const lines = () => {
  const [header, ...rest] = readFileSync(path.join(dir, STATE_LOG), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  expect(header).toBe(STATE_HEADER);
  return rest;
};

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

  it("reads a log without a header (llmake 0.1.0's), and its first write rewrites it with one, every record kept", async () => {
    const log = path.join(dir, STATE_LOG);
    writeFileSync(log, `${JSON.stringify(record('a'))}\n${JSON.stringify(record('b'))}\n`);
    StateStore.checkFormat(dir);
    const store = new StateStore(dir);
    expect(await store.read('a')).toEqual(record('a'));
    expect(readFileSync(log, 'utf8').startsWith('{"version"')).toBe(true); // reading changes nothing
    await store.write(record('c'));
    expect(lines()).toHaveLength(3);
    const again = new StateStore(dir);
    for (const target of ['a', 'b', 'c']) expect(await again.read(target)).toEqual(record(target));
  });

  it('refuses a log a newer llmake wrote, on every read and write, and leaves it as it is', async () => {
    const log = path.join(dir, STATE_LOG);
    const newer = `{"state_format":${STATE_FORMAT + 1}}\n${JSON.stringify(record('a'))}\n`;
    writeFileSync(log, newer);
    expect(() => StateStore.checkFormat(dir)).toThrow(NewerStateError);
    expect(() => StateStore.checkFormat(dir)).toThrow(
      `${log} was written by a newer llmake (state format ${STATE_FORMAT + 1}; this llmake reads format ${STATE_FORMAT} and older)`,
    );
    await expect(new StateStore(dir).read('a')).rejects.toThrow(NewerStateError);
    expect(() => new StateStore(dir).stampsSync('a')).toThrow(NewerStateError);
    await expect(new StateStore(dir).write(record('b'))).rejects.toThrow(NewerStateError);
    await expect(new StateStore(dir).remove('a')).rejects.toThrow(NewerStateError);
    expect(readFileSync(log, 'utf8')).toBe(newer);
  });

  it('a header torn by a crash is a torn line, not a newer format', async () => {
    writeFileSync(path.join(dir, STATE_LOG), `{"state_for\n${JSON.stringify(record('a'))}\n`);
    StateStore.checkFormat(dir);
    expect(await new StateStore(dir).read('a')).toEqual(record('a'));
  });

  it('a built record is read for a no-op without parsing its JSON: stamps, config hash and spend come first on its line', async () => {
    const built = { ...record('out/a.jsonl'), usage: { input: 7, output: 9 }, costUsd: 0.25 };
    const inputs = {
      'in/1.jsonl': { sha256: 'h1', mtimeMs: 1764748800123.4568, size: 10 },
      'in/0.jsonl': { sha256: 'h0', mtimeMs: 2, size: 0 },
    };
    await new StateStore(dir).write({ ...built, inputs });
    const failed = { ...record('out/b.jsonl'), failure: { reason: 'bad-input', message: 'line 3', at: 6 } };
    await new StateStore(dir).write(failed);
    const [stamped, plain] = lines();
    expect(stamped).toMatch(
      /^out\/a\.jsonl\tc\t5\t7\t9\t0\.25\t3\t4\t2\tin\/1\.jsonl\t1764748800123\.4568\t10\tin\/0\.jsonl\t2\t0\t\{/,
    );
    expect(plain!.startsWith('{')).toBe(true); // a failure is not provable by stamps: plain JSON

    const parse = vi.spyOn(JSON, 'parse');
    try {
      const store = new StateStore(dir);
      expect(store.stampsSync('out/a.jsonl')).toEqual({
        configHash: 'c',
        builtAt: 5,
        usage: { input: 7, output: 9 },
        costUsd: 0.25,
        output: { mtimeMs: 3, size: 4 },
        inputs: [
          { path: 'in/1.jsonl', mtimeMs: 1764748800123.4568, size: 10 },
          { path: 'in/0.jsonl', mtimeMs: 2, size: 0 },
        ],
      });
      expect(parse).toHaveBeenCalledTimes(1); // the failure's line only
      expect(store.stampsSync('out/b.jsonl')).toBeUndefined();
      expect(store.readSync('out/a.jsonl')).toEqual({ ...built, inputs }); // the whole record, on demand
      expect(store.readSync('out/b.jsonl')).toEqual(failed);
    } finally {
      parse.mockRestore();
    }
  });

  it('a record whose paths hold a tab is written as plain JSON, and reads back whole', async () => {
    const odd = { ...record('out/a\tb.jsonl'), inputs: { 'in\n.jsonl': { sha256: 'x', mtimeMs: 1, size: 1 } } };
    await new StateStore(dir).write(odd);
    expect(lines()[0]!.startsWith('{')).toBe(true);
    const again = new StateStore(dir);
    expect(again.readSync('out/a\tb.jsonl')).toEqual(odd);
    expect(again.stampsSync('out/a\tb.jsonl')?.inputs).toEqual([{ path: 'in\n.jsonl', mtimeMs: 1, size: 1 }]);
  });

  it('a stamped record whose paths start with `{` or hold non-ASCII text reads back by its stamps and whole', async () => {
    const odd = {
      ...record('out/{a}.jsonl'),
      inputs: {
        '{x}.jsonl': { sha256: 'x', mtimeMs: 1, size: 1 },
        'élève/{y}.jsonl': { sha256: 'y', mtimeMs: 2, size: 3 },
      },
    };
    await new StateStore(dir).write(odd);
    await new StateStore(dir).write(record('plain'));
    expect(lines()[0]!.startsWith('out/{a}.jsonl\t')).toBe(true); // stamped: nothing in its paths forbids it
    const again = new StateStore(dir);
    expect(again.stampsSync('out/{a}.jsonl')?.inputs).toEqual([
      { path: '{x}.jsonl', mtimeMs: 1, size: 1 },
      { path: 'élève/{y}.jsonl', mtimeMs: 2, size: 3 },
    ]);
    expect(again.readSync('out/{a}.jsonl')).toEqual(odd);
    expect(again.readSync('plain')).toEqual(record('plain'));
  });

  it('a stamped line cut short is no record, even where its stamps are whole', async () => {
    await new StateStore(dir).write(record('a'));
    const store = new StateStore(dir);
    await store.write(record('b'));
    const log = path.join(dir, STATE_LOG);
    const text = readFileSync(log, 'utf8');
    writeFileSync(log, text.slice(0, text.length - 20)); // the crash cut b's JSON short
    const again = new StateStore(dir);
    expect(again.stampsSync('b')).toBeUndefined();
    expect(again.readSync('b')).toBeUndefined();
    expect(again.readSync('a')).toEqual(record('a'));
  });
});

import { expect, it } from 'vitest';
import { configHash, fingerprintOf, type StageIdentity } from '../../src/engine/fingerprint.ts';
import { canonicalJson, hashText } from '../../src/util/hash.ts';

it("writes the fingerprint's JSON directly with the same bytes as canonical JSON: records of older builds stay fresh", () => {
  const stage: StageIdentity = { kind: 'requests', version: 1, config: { model: 'gpt-4.1', prompt: 'Say {x}' } };
  const inputs = [
    { path: 'original/b.jsonl', sha256: 'f'.repeat(64) },
    { path: 'original/a "quoted".jsonl', sha256: '0'.repeat(64) },
  ];
  const before = hashText(canonicalJson({ config: configHash(stage), inputs: inputs.map((i) => [i.path, i.sha256]) }));
  expect(fingerprintOf(stage, inputs)).toBe(before);
});

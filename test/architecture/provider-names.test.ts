/**
 * No code outside src/providers/ and src/emulator/ branches on a provider's name: what differs
 * between providers is in each one's spec, so adding a provider is its file and a registry line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PROVIDER_NAMES } from '../../src/providers/registry.ts';

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** `x === 'gemini'`, `'gemini' !== x`, `case 'gemini':` for every registered provider. */
function providerBranches(file: string, text: string): string[] {
  const names = PROVIDER_NAMES.map((n) => n.replace(/[-]/g, '\\-')).join('|');
  const branch = new RegExp(`(===|!==)\\s*'(${names})'|'(${names})'\\s*(===|!==)|case\\s+'(${names})'`);
  return text.split('\n').flatMap((line, i) => (branch.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

it('no file outside src/providers/ and src/emulator/ tests a provider by its name', () => {
  const exempt = [path.join('src', 'providers'), path.join('src', 'emulator')].map((d) => d + path.sep);
  const found = [...sources('src')]
    .filter((f) => !exempt.some((d) => f.startsWith(d)))
    .flatMap((f) => providerBranches(f, readFileSync(f, 'utf8')));
  expect(found).toEqual([]);
});

it('the check finds each form of such a branch', () => {
  const text = "if (p === 'gemini') x();\nif ('mistral' !== p) y();\nswitch (p) {\n  case 'openai-compatible':\n}\n";
  expect(providerBranches('f.ts', text).map((l) => l.split(':')[1])).toEqual(['1', '2', '4']);
  expect(providerBranches('f.ts', "const provider = 'gemini';\n")).toEqual([]);
});

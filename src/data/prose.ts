/**
 * Deterministic MMLU-style records: a seeded PRNG (mulberry32) fills the sentence templates of
 * templates.ts with the word lists of vocabulary.ts. The analyses only stand in for real ones, so
 * what matters is that their length and token mix resemble the real data (~350 gpt-4.1 tokens)
 * and that the same seed always yields the same bytes, so fixtures and benchmarks are reproducible.
 */
import { BODY, CHOICES, CONCLUSIONS, DISTRACTORS, FLAWS, INTROS, QUESTIONS } from './templates.ts';
import { CONCEPTS, CONNECTIVES, FIELD_OF, QUALIFIERS, RELATIONS } from './vocabulary.ts';
import { mulberry32, type Rng } from '../util/prng.ts';

export { mulberry32, type Rng };

/** FNV-1a over the parts, to give every file its own stream: one file's output does not depend on which others are made. */
export function seedFor(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/** The source record format of results/mmlu/original/{subject}.jsonl (the seed's input). */
export interface MmluRecord {
  question_number: number;
  subject: string;
  question: string;
  choices: string[];
  answer: string;
  analysis: string;
}

const LETTERS = ['A', 'B', 'C', 'D'] as const;

/** Readable subject name: 'high_school_us_history_2' → 'high school US history'. */
export function topicOf(subject: string): string {
  if (subject === 'miscellaneous') return 'general knowledge';
  return subject
    .split('_')
    .map((w) => (w === 'us' ? 'US' : w))
    .join(' ');
}

interface Context {
  rng: Rng;
  concepts: readonly string[];
  topic: string;
  main: string;
  ans: string;
  opt?: string;
}

type Drawn = Partial<Record<string, string>>;

function draw(key: string, ctx: Context, drawn: Drawn): string {
  const { rng, concepts, main } = ctx;
  switch (key) {
    case 'c':
      return pickOther(rng, concepts, main, '');
    case 'c2':
      return pickOther(rng, concepts, main, drawn.c ?? '');
    case 'q':
      return pick(rng, QUALIFIERS);
    case 'r':
      return pick(rng, RELATIONS);
    case 'Conn':
      return pick(rng, CONNECTIVES);
    case 'num':
      return String(2 + Math.floor(rng() * 48));
    case 'pct':
      return String(5 + Math.floor(rng() * 55));
    case 'flaw':
      return fill(pick(rng, FLAWS), ctx);
    case 'main':
      return main;
    case 'topic':
      return ctx.topic;
    case 'ans':
      return ctx.ans;
    case 'opt':
      return ctx.opt ?? '?';
    default:
      throw new Error(`unknown template slot {${key}}`);
  }
}

// Templates split once into [literal, slot, literal, …]: filling ~300k templates with a regex
// and fresh closures each time was most of the generation time.
const compiled = new Map<string, readonly string[]>();

/** Fills {slots}; {c}, {c2}, {q}, {r} are drawn once per template, so a sentence is self-consistent. */
function fill(template: string, ctx: Context): string {
  let parts = compiled.get(template);
  if (!parts) compiled.set(template, (parts = template.split(/\{(\w+)\}/)));
  const drawn: Drawn = {};
  let out = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i] as string;
    out += (drawn[key] ??= draw(key, ctx, drawn)) + (parts[i + 1] ?? '');
  }
  return out;
}

/** A filled template as a sentence (or option) of its own: capitalised. */
function sentence(template: string, ctx: Context): string {
  const text = fill(template, ctx);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pickOther(rng: Rng, items: readonly string[], avoid1: string, avoid2: string): string {
  for (;;) {
    const item = pick(rng, items);
    if (item !== avoid1 && item !== avoid2) return item;
  }
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const wordCount = (text: string) => text.split(' ').length;

/**
 * One record. `subject` is the file's name (e.g. 'anatomy_2'), kept as is so that subject +
 * question_number stays unique across scaled copies; `baseSubject` picks the vocabulary.
 */
export function makeRecord(rng: Rng, subject: string, baseSubject: string, questionNumber: number): MmluRecord {
  const concepts = CONCEPTS[FIELD_OF[baseSubject] ?? 'social'];
  const ctx: Context = {
    rng,
    concepts,
    topic: topicOf(baseSubject),
    main: pick(rng, concepts),
    ans: pick(rng, LETTERS),
  };
  const question = sentence(pick(rng, QUESTIONS), ctx);
  const choices = new Set<string>();
  while (choices.size < LETTERS.length) choices.add(sentence(pick(rng, CHOICES), ctx));

  // Aim at a per-record word count (258–307) rather than a fixed sentence count, so lengths vary
  // like real analyses. This plain template English runs ~1.17 tokens a word, so ~295 words give
  // the ~350-token (~1,750-character) mean of the real analyses.
  const target = 258 + Math.floor(rng() * 50);
  const head = sentence(pick(rng, INTROS), ctx);
  const tail = shuffled(
    rng,
    LETTERS.filter((l) => l !== ctx.ans),
  ).map((opt) => sentence(pick(rng, DISTRACTORS), { ...ctx, opt }));
  tail.push(sentence(pick(rng, CONCLUSIONS), ctx));
  let words = wordCount(head) + tail.reduce((n, s) => n + wordCount(s), 0);
  const body: string[] = [];
  for (const template of shuffled(rng, BODY)) {
    if (words >= target) break;
    const text = sentence(template, ctx);
    body.push(text);
    words += wordCount(text);
  }
  const analysis = [head, ...body, ...tail].join(' ');
  return { question_number: questionNumber, subject, question, choices: [...choices], answer: ctx.ans, analysis };
}

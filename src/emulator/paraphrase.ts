/**
 * The stand-in model's "paraphrase": a pure, deterministic word swap through a small synonym
 * table. Tests call it to compute the exact reply the emulator will give for a text.
 */
const PAIRS: readonly [string, string][] = [
  ['big', 'large'],
  ['small', 'little'],
  ['quick', 'fast'],
  ['happy', 'glad'],
  ['begin', 'start'],
  ['end', 'finish'],
  ['help', 'assist'],
  ['show', 'display'],
  ['buy', 'purchase'],
  ['answer', 'reply'],
  ['question', 'query'],
  ['important', 'significant'],
  ['easy', 'simple'],
  ['hard', 'difficult'],
  ['often', 'frequently'],
  ['maybe', 'perhaps'],
  ['about', 'regarding'],
  ['use', 'employ'],
  ['get', 'obtain'],
  ['make', 'create'],
  ['think', 'believe'],
  ['need', 'require'],
  ['try', 'attempt'],
  ['many', 'numerous'],
  ['very', 'really'],
  ['good', 'fine'],
  ['bad', 'poor'],
  ['old', 'aged'],
  ['new', 'novel'],
  ['car', 'automobile'],
  ['house', 'home'],
  ['child', 'kid'],
  ['smart', 'clever'],
  ['choose', 'select'],
  ['correct', 'right'],
  ['wrong', 'incorrect'],
  ['shows', 'displays'],
  ['uses', 'employs'],
  ['makes', 'creates'],
  ['gets', 'obtains'],
  ['needs', 'requires'],
  ['thinks', 'believes'],
  ['helps', 'assists'],
  ['begins', 'starts'],
  ['said', 'stated'],
  ['says', 'states'],
  ['also', 'additionally'],
  ['but', 'however'],
  ['because', 'since'],
  ['quickly', 'rapidly'],
  ['usually', 'typically'],
  ['whole', 'entire'],
  ['fix', 'repair'],
];

const TABLE = new Map<string, string>();
for (const [a, b] of PAIRS) {
  TABLE.set(a, b);
  TABLE.set(b, a);
}

function matchCase(source: string, replacement: string): string {
  if (source.length > 1 && source === source.toUpperCase()) return replacement.toUpperCase();
  const first = source[0] ?? '';
  if (first !== first.toLowerCase()) return replacement[0]?.toUpperCase() + replacement.slice(1);
  return replacement;
}

/** Swaps each word found in the table (in both directions), keeping case and punctuation. */
export function standInParaphrase(text: string): string {
  return text.replace(/[A-Za-z]+/g, (word) => {
    const swap = TABLE.get(word.toLowerCase());
    return swap === undefined ? word : matchCase(word, swap);
  });
}

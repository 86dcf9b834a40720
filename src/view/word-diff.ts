/**
 * Word-level differences between a record's source text and the model's answer, for the row view:
 * the words only in the source are marked on its side, the words only in the answer on the other.
 * A longest common subsequence over words (and the spaces between them), which for paraphrases of
 * a few hundred words is a few hundred thousand cells; longer pairs are not compared.
 */

/** `[changed, text]`: text common to both sides (false) or only on this side (true). */
export type DiffSegment = [changed: boolean, text: string];

export interface WordDiff {
  source: DiffSegment[];
  answer: DiffSegment[];
  /** Share of the answer's words that also appear, in order, in the source (0–1). */
  kept: number;
}

/** Pairs of texts longer than this (words × words) are not compared: the table would be too big. */
export const MAX_DIFF_CELLS = 4_000_000;

export function wordDiff(source: string, answer: string): WordDiff | undefined {
  const a = tokens(source);
  const b = tokens(answer);
  if ((a.length + 1) * (b.length + 1) > MAX_DIFF_CELLS) return undefined;
  // Compare small integers, not strings, in the quadratic loop.
  const ids = new Map<string, number>();
  const idOf = (t: string) => ids.get(t) ?? (ids.set(t, ids.size), ids.size - 1);
  const x = Int32Array.from(a, idOf);
  const y = Int32Array.from(b, idOf);
  const width = y.length + 1;
  // lcs[i * width + j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = new Uint16Array((x.length + 1) * width);
  for (let i = x.length - 1; i >= 0; i--) {
    const row = i * width;
    const below = row + width;
    const xi = x[i];
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[row + j] = xi === y[j] ? lcs[below + j + 1]! + 1 : Math.max(lcs[below + j]!, lcs[row + j + 1]!);
    }
  }
  const left = new Segments();
  const right = new Segments();
  let i = 0;
  let j = 0;
  let keptWords = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      left.push(false, a[i]!);
      right.push(false, b[j]!);
      if (b[j]!.trim() !== '') keptWords += 1;
      i += 1;
      j += 1;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) left.push(true, a[i++]!);
    else right.push(true, b[j++]!);
  }
  while (i < a.length) left.push(true, a[i++]!);
  while (j < b.length) right.push(true, b[j++]!);
  const answerWords = b.filter((t) => t.trim() !== '').length;
  return { source: left.list, answer: right.list, kept: answerWords === 0 ? 1 : keptWords / answerWords };
}

/** Words and the runs of spaces between them, so the text can be put back together exactly. */
function tokens(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

/** Adjacent pieces of the same kind, joined. */
class Segments {
  readonly list: DiffSegment[] = [];

  push(changed: boolean, text: string): void {
    const last = this.list.at(-1);
    if (last?.[0] === changed) last[1] += text;
    else this.list.push([changed, text]);
  }
}

/**
 * Compact line lists for the marker: the request-file line of each line of a part, in part order,
 * as "1-500,502,504-900". A part's provider error "line 7" maps back to the 7th number.
 */
export function encodeLines(lines: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j += 1;
    out.push(j === i ? String(lines[i]) : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function decodeLines(text: string): number[] {
  const out: number[] = [];
  for (const piece of text.split(',')) {
    if (!piece) continue;
    const [a, b] = piece.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let n = a!; n <= (Number.isInteger(b) ? b! : a!); n += 1) out.push(n);
  }
  return out;
}

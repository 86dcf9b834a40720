/**
 * Results in no particular order, as OpenAI's, Anthropic's and Mistral's batches give them: the
 * lines of a partial file are shuffled into their final file deterministically (seeded by the
 * batch) and within bounded windows, so memory stays flat whatever the file size.
 */
import { readLines } from './lines.ts';
import { mulberry32, seedFrom, shuffleInPlace } from './prng.ts';
import { LineWriter } from './writer.ts';

const WINDOW = 1000;

export async function shuffleLines(source: string, dest: string, seed: number, ...key: string[]): Promise<void> {
  const random = mulberry32(seedFrom(seed, ...key));
  const out = LineWriter.create(dest);
  let window: string[] = [];
  const flush = async () => {
    shuffleInPlace(window, random);
    await out.write(window.join('\n') + '\n');
    window = [];
  };
  try {
    for await (const { text } of readLines(source)) {
      if (text === '') continue;
      window.push(text);
      if (window.length === WINDOW) await flush();
    }
    if (window.length > 0) await flush();
  } finally {
    await out.close();
  }
}

/**
 * A JSON-array source (`[{…}, {…}]`) streamed element by element: a small scanner finds where each
 * top-level element starts and ends (tracking strings and nesting), and JSON.parse checks the
 * element itself. Memory holds one element at a time, and each element is numbered by the line
 * it starts on, so a bad record is named `file:line` like a bad JSONL line.
 */
import { createReadStream } from 'node:fs';
import type { SourceEntry } from './entries.ts';

type Where = 'before-array' | 'before-element' | 'in-element' | 'after-array';

export async function* readJsonArrayEntries(file: string): AsyncGenerator<SourceEntry> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let where = 'before-array' as Where;
  let line = 1;
  let element: string[] = [];
  let elementLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let afterComma = false;
  let first = true;

  const finishElement = (): SourceEntry => {
    const text = element.join('');
    element = [];
    try {
      return { kind: 'value', line: elementLine, value: JSON.parse(text) as unknown };
    } catch (error) {
      return { kind: 'error', line: elementLine, message: `invalid JSON (${(error as Error).message})` };
    }
  };
  const stop = (message: string): SourceEntry => {
    stream.destroy();
    return { kind: 'error', line, message };
  };

  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0; // where the current element's text begins within this chunk
    for (let i = first && chunk.charCodeAt(0) === 0xfeff ? 1 : 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (where === 'in-element') {
        if (c === '\n') line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && depth > 0) depth--;
        else if ((c === ',' || c === ']') && depth === 0) {
          // A comma ends this element; the array's closing bracket ends it and the array.
          element.push(chunk.slice(start, i));
          yield finishElement();
          where = c === ',' ? 'before-element' : 'after-array';
          afterComma = c === ',';
        }
        continue;
      }
      if (c === '\n') {
        line++;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') continue;
      if (where === 'before-array') {
        if (c !== '[') {
          yield stop('expected a JSON array of records ("[" first)');
          return;
        }
        where = 'before-element';
      } else if (where === 'before-element') {
        if (c === ']') {
          if (afterComma) {
            yield stop('a comma before "]" (JSON allows no trailing comma)');
            return;
          }
          where = 'after-array';
        } else if (c === ',') {
          yield { kind: 'error', line, message: 'an empty element (two commas in a row)' };
        } else {
          // Scan this character again as the element's first.
          where = 'in-element';
          elementLine = line;
          start = i;
          depth = 0;
          inString = false;
          escaped = false;
          i--;
        }
      } else {
        yield stop('text after the closing "]" of the array');
        return;
      }
    }
    if (where === 'in-element') element.push(chunk.slice(start));
    first = false;
  }
  if (where === 'before-array') yield { kind: 'error', line, message: 'the file is empty (expected a JSON array)' };
  else if (where !== 'after-array') yield { kind: 'error', line, message: 'the array is not closed ("]" missing)' };
}

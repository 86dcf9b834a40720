/**
 * CSV sources through csv-parse (RFC 4180 quoting, BOM, CRLF, fields spanning lines): the first
 * row names the columns, every later row becomes an object of strings. Values stay strings — a
 * CSV cell has no type, and guessing one would turn an id like `007` into 7.
 */
import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import type { SourceEntry } from './entries.ts';

interface ParsedRow {
  record: string[];
  info: { lines: number };
}

export async function* readCsvEntries(file: string): AsyncGenerator<SourceEntry> {
  const source = createReadStream(file);
  const parser = source.pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  // pipe() forwards neither a read error nor an early stop: pass the one on, and close the file on the other.
  source.on('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  try {
    for await (const row of parser as AsyncIterable<ParsedRow>) {
      // csv-parse counts the line a record ends on; a quoted field may span lines.
      const line = row.info.lines - row.record.reduce((n, cell) => n + cell.split('\n').length - 1, 0);
      if (header === undefined) {
        const problem = headerProblem(row.record);
        if (problem) {
          yield { kind: 'error', line, message: problem };
          return;
        }
        header = row.record;
        continue;
      }
      if (row.record.length !== header.length) {
        yield {
          kind: 'error',
          line,
          message: `${row.record.length} field${row.record.length === 1 ? '' : 's'}, the header has ${header.length}`,
        };
        continue;
      }
      yield { kind: 'value', line, value: Object.fromEntries(header.map((name, i) => [name, row.record[i]])) };
    }
  } catch (error) {
    // A quoting error leaves the parser unable to find the next record: report it and stop.
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 0;
      yield { kind: 'error', line, message: `invalid CSV (${error.message.replace(/ at line \d+/, '')})` };
      return;
    }
    throw error;
  } finally {
    source.destroy();
  }
}

function headerProblem(names: readonly string[]): string | undefined {
  const empty = names.findIndex((n) => n.trim() === '');
  if (empty !== -1) return `the header's column ${empty + 1} has no name`;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `the header names "${name}" twice`;
    seen.add(name);
  }
  return undefined;
}

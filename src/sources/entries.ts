/**
 * One reading interface over every source format: values with the 1-based line they start on, or
 * problems with their line, streamed so memory stays flat whatever the file size. The stages and
 * `pipeline init` read sources only through this.
 */
import { readJsonl } from '../util/jsonl.ts';
import { readCsvEntries } from './csv.ts';
import { formatOf, type SourceFormat } from './format.ts';
import { readJsonArrayEntries } from './json-array.ts';

export type SourceEntry =
  { kind: 'value'; line: number; value: unknown } | { kind: 'error'; line: number; message: string };

export async function* readSourceEntries(
  file: string,
  format: SourceFormat = formatOf(file),
): AsyncGenerator<SourceEntry> {
  switch (format) {
    case 'jsonl':
      for await (const entry of readJsonl(file)) {
        yield entry.kind === 'value'
          ? { kind: 'value', line: entry.line, value: entry.value }
          : { kind: 'error', line: entry.line, message: entry.message };
      }
      return;
    case 'json':
      yield* readJsonArrayEntries(file);
      return;
    case 'csv':
      yield* readCsvEntries(file);
      return;
  }
}

/**
 * The file formats a source may be in, told apart by extension: a dataset's extension is what its
 * owner already relies on, and sniffing content would make a `.json` file with one object per line
 * mean two different things.
 */
import path from 'node:path';

export type SourceFormat = 'jsonl' | 'json' | 'csv';

export const SOURCE_FORMATS: readonly SourceFormat[] = ['jsonl', 'json', 'csv'];

const BY_EXTENSION: Readonly<Record<string, SourceFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
};

/** The format of a file by its extension; anything unknown is read as JSONL (the historical default). */
export function formatOf(file: string): SourceFormat {
  return BY_EXTENSION[path.extname(file).toLowerCase()] ?? 'jsonl';
}

/** How the format is named to a person. */
export function describeFormat(format: SourceFormat): string {
  switch (format) {
    case 'jsonl':
      return 'JSONL (one JSON object per line)';
    case 'json':
      return 'JSON array of objects';
    case 'csv':
      return 'CSV with a header row';
  }
}

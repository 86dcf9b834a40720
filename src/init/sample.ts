/**
 * The first records of a dataset file, read the way the stages will read it (src/sources), so
 * what `pipeline init` sees is what `pipeline build` will get.
 */
import { readSourceEntries } from '../sources/entries.ts';
import { formatOf, type SourceFormat } from '../sources/format.ts';
import { isRecord } from '../stages/record-template.ts';
import { err, ok, type Result } from '../util/result.ts';

export interface Sample {
  format: SourceFormat;
  records: Record<string, unknown>[];
  /** The first problems met (`line: message`), which the build would also report. */
  problems: string[];
}

/** Enough records to trust uniqueness on most datasets, few enough to read in a blink. */
export const SAMPLE_SIZE = 1000;

export async function sampleSource(file: string, limit = SAMPLE_SIZE): Promise<Result<Sample, string>> {
  const format = formatOf(file);
  const records: Record<string, unknown>[] = [];
  const problems: string[] = [];
  try {
    for await (const entry of readSourceEntries(file, format)) {
      if (entry.kind === 'error') problems.push(`line ${entry.line}: ${entry.message}`);
      else if (!isRecord(entry.value)) problems.push(`line ${entry.line}: expected a JSON object`);
      else records.push(entry.value);
      if (records.length >= limit || problems.length >= 5) break;
    }
  } catch (error) {
    return err(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (records.length === 0) {
    return err(problems.length > 0 ? `no records read: ${problems.join('; ')}` : 'the file has no records');
  }
  return ok({ format, records, problems });
}

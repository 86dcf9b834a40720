/**
 * Reads a source file (JSONL, JSON array or CSV: see src/sources) record by record, checking what both the requests and merge stages
 * rely on: each line a JSON object, an id field present and unique, required text fields present.
 * Problems are collected (not thrown) with their line numbers; the caller fails the target with
 * all of them, so one run shows every bad line instead of one per run.
 */
import path from 'node:path';
import { readSourceEntries } from '../sources/entries.ts';
import { LineTooLongError } from '../util/jsonl.ts';
import { isRecord } from './record-template.ts';
import type { StageFailure } from './types.ts';

export interface SourceRecord {
  line: number;
  record: Record<string, unknown>;
}

export interface SourceRules {
  idField: string;
  /** Fields that must be present and non-empty. */
  required: readonly string[];
}

export interface LineProblem {
  line: number;
  message: string;
}

/** Yields valid records; problems go into `problems` (at most `limit` kept, all counted). */
export async function* readSourceRecords(
  file: string,
  rules: SourceRules,
  problems: LineProblem[] & { total?: number },
): AsyncGenerator<SourceRecord> {
  const seen = new Map<string, number>();
  problems.total = 0;
  const report = (line: number, message: string) => {
    problems.total = (problems.total ?? 0) + 1;
    if (problems.length < 50) problems.push({ line, message });
  };
  try {
    for await (const entry of readSourceEntries(file)) {
      if (entry.kind === 'error') {
        report(entry.line, entry.message);
        continue;
      }
      const record = entry.value;
      if (!isRecord(record)) {
        report(entry.line, 'expected a JSON object');
        continue;
      }
      const id = record[rules.idField];
      if (id === undefined || id === null || id === '') {
        report(entry.line, `missing "${rules.idField}"`);
        continue;
      }
      if (typeof id !== 'number' && typeof id !== 'string') {
        report(entry.line, `"${rules.idField}" must be a number or a string`);
        continue;
      }
      const key = String(id);
      const first = seen.get(key);
      if (first !== undefined) {
        report(entry.line, `duplicate ${rules.idField} ${key} (first on line ${first})`);
        continue;
      }
      seen.set(key, entry.line);
      const missing = rules.required.find((f) => typeof record[f] !== 'string' || record[f].trim() === '');
      if (missing) {
        report(
          entry.line,
          record[missing] === undefined ? `missing "${missing}"` : `"${missing}" must be a non-empty string`,
        );
        continue;
      }
      yield { line: entry.line, record };
    }
  } catch (error) {
    if (error instanceof LineTooLongError) report(error.line, error.message);
    else throw error;
  }
  if (seen.size === 0 && problems.length === 0) report(0, 'the file has no records');
}

/** One failure naming the file and the first bad line, with every problem listed under it. */
export function badInputFailure(
  root: string,
  file: string,
  problems: readonly LineProblem[] & { total?: number },
): StageFailure {
  const rel = path.relative(root, file).startsWith('..') ? file : path.relative(root, file);
  const first = problems[0]!;
  const more = Math.max(problems.total ?? 0, problems.length) - 1;
  return {
    reason: 'bad-input',
    message: `${first.message}${more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`,
    file: rel,
    ...(first.line > 0 ? { line: first.line } : {}),
    details: problems.map((p) => (p.line > 0 ? `${rel}:${p.line}: ${p.message}` : `${rel}: ${p.message}`)),
  };
}

/**
 * One record as the row view shows it: its id, the source text beside the model's answer with
 * the differences marked, tokens, and for a row without a usable answer the reason. Built from a
 * line of the merged file, or (when there is none, e.g. the merge failed) from a source line and
 * its raw result line.
 */
import { fillTemplate, isRecord } from '../stages/record-template.ts';
import { readResultLine, whyUnusable } from '../stages/result-line.ts';
import type { RowShape } from './row-shape.ts';
import { wordDiff, type DiffSegment } from './word-diff.ts';

export type RowStatus = 'answered' | 'failed' | 'invalid' | 'waiting';

export interface RowView {
  /** 1-based line number in the file paged. */
  line: number;
  id?: string;
  customId?: string;
  status: RowStatus;
  reason?: string;
  /** The fields the prompt is made of (all fields when the prompt names none). */
  source: { field: string; text: string }[];
  answer?: { field: string; text?: string; fields?: Record<string, unknown> };
  /** Differences between the first source text and the answer, when both are text. */
  diff?: { source: DiffSegment[]; answer: DiffSegment[]; kept: number };
  usage?: { input: number; output: number; total: number };
  /** Any other fields of the record, for reference. */
  other: Record<string, unknown>;
}

/** A line of the merged file. */
export function mergedRow(shape: RowShape, line: number, text: string): RowView {
  const record = parseRecord(text);
  if (typeof record === 'string') return { line, status: 'invalid', reason: record, source: [], other: {} };
  const answer = record[shape.outputField];
  const row = baseRow(shape, line, record, [shape.outputField, shape.tokensField]);
  const usage = usageOf(record[shape.tokensField]);
  if (usage) row.usage = usage;
  if (answer === undefined) return { ...row, status: 'invalid', reason: `no "${shape.outputField}" field` };
  return withAnswer(row, shape.outputField, answer);
}

/** Result lines by custom_id, or why there are none to look in (no results file yet…). */
export type ResultSource = { get(customId: string): Promise<unknown> } | { unavailable: string };

/** A source line joined with its raw result line (the merged file does not exist or is out of date). */
export async function joinedRow(shape: RowShape, line: number, text: string, results: ResultSource): Promise<RowView> {
  const record = parseRecord(text);
  if (typeof record === 'string')
    return { line, status: 'invalid', reason: `source line: ${record}`, source: [], other: {} };
  const row = baseRow(shape, line, record, []);
  const id = fillTemplate(shape.customId, record, shape.bindings);
  if (!id.ok) return { ...row, status: 'invalid', reason: `cannot derive custom_id (missing "${id.missing}")` };
  row.customId = id.text;
  if ('unavailable' in results) return { ...row, status: 'waiting', reason: results.unavailable };
  const raw = await results.get(id.text);
  if (raw === undefined) return { ...row, status: 'failed', reason: `no result in ${shape.results}` };
  const result = readResultLine(raw);
  if (!result) return { ...row, status: 'invalid', reason: 'not a result line' };
  if (result.kind === 'succeeded') {
    row.usage = result.usage;
    if (result.text === undefined) return { ...row, status: 'failed', reason: whyUnusable(result) };
    return withAnswer(row, shape.outputField, result.text);
  }
  const next =
    result.kind === 'errored'
      ? result.retryable
        ? ' — the next build sends it again'
        : ' — needs a change to the request'
      : ' — the next build sends it again';
  return { ...row, status: 'failed', reason: `${whyUnusable(result)}${next}` };
}

function baseRow(shape: RowShape, line: number, record: Record<string, unknown>, answerFields: string[]): RowView {
  const named = shape.sourceFields.filter((f) => record[f] !== undefined);
  const sourceFields =
    named.length > 0 ? named : Object.keys(record).filter((k) => k !== shape.idField && !answerFields.includes(k));
  const source = sourceFields.map((field) => ({ field, text: asText(record[field]) }));
  const other: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key !== shape.idField && !sourceFields.includes(key) && !answerFields.includes(key)) other[key] = value;
  }
  const id = record[shape.idField];
  return { line, status: 'answered', source, other, ...(id !== undefined ? { id: asText(id) } : {}) };
}

/** Structured answers (a JSON object) are shown as fields, text answers as text. */
function withAnswer(row: RowView, field: string, answer: unknown): RowView {
  const structured = isRecord(answer) ? answer : typeof answer === 'string' ? parseObject(answer) : undefined;
  return { ...row, answer: structured ? { field, fields: structured } : { field, text: asText(answer) } };
}

/**
 * The row with its text answer compared to its first source text. Separate from building the
 * row, so a search compares only the rows it shows.
 */
export function withDiff(row: RowView): RowView {
  const first = row.source[0];
  const text = row.answer?.text;
  const diff = first && text !== undefined ? wordDiff(first.text, text) : undefined;
  return diff ? { ...row, diff } : row;
}

/** Everything a search looks in, lower-cased. */
export function searchableText(row: RowView): string {
  return [
    row.id,
    row.customId,
    row.reason,
    ...row.source.map((s) => s.text),
    row.answer?.text,
    row.answer?.fields ? JSON.stringify(row.answer.fields) : undefined,
    JSON.stringify(row.other),
  ]
    .filter((t) => t !== undefined)
    .join('\n')
    .toLowerCase();
}

function parseRecord(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : 'not a JSON object';
  } catch (error) {
    return `invalid JSON (${(error as Error).message})`;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function usageOf(value: unknown): RowView['usage'] {
  if (!isRecord(value)) return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const input = num(value.input ?? value.prompt_tokens ?? value.input_tokens);
  const output = num(value.output ?? value.completion_tokens ?? value.output_tokens);
  return { input, output, total: num(value.total ?? value.total_tokens) || input + output };
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

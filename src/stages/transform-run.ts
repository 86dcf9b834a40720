/**
 * Running a transform's user function: records are streamed in and out (the per-record form never
 * holds a file in memory), and whatever the function throws becomes a failure naming the input
 * file, the line, the record and the error — a user's bug is an expected failure here, not ours.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { readJsonl } from '../util/jsonl.ts';
import { isRecord } from './record-template.ts';
import { badInputFailure } from './source-records.ts';
import type { JsonRecord, RecordFn, RecordOutput, TransformFiles, WholeFileFn } from './transform-types.ts';
import type { StageFailure, StageOutcome, TargetContext } from './types.ts';

export type { RecordFn, WholeFileFn };

/** A line of an input that is not a JSON object; thrown through the user's loop, caught below. */
class BadInputLine extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export async function runPerRecord(ctx: TargetContext, run: RecordFn): Promise<StageOutcome> {
  const input = ctx.inputs[0]!;
  const file = path.relative(ctx.root, input);
  const out = await JsonlWriter.open(ctx.tempOutput);
  let read = 0;
  try {
    for await (const entry of readJsonl(input)) {
      const record = entry.kind === 'value' ? entry.value : undefined;
      if (!isRecord(record)) {
        const message = entry.kind === 'error' ? entry.message : 'expected a JSON object';
        return { kind: 'failed', failure: badInputFailure(ctx.root, input, [{ line: entry.line, message }]) };
      }
      read += 1;
      let produced: RecordOutput;
      try {
        produced = await run(record, { file, line: entry.line, bindings: ctx.bindings });
      } catch (error) {
        return { kind: 'failed', failure: threw(error, file, entry.line, record) };
      }
      for (const value of produced === null || produced === undefined ? [] : asList(produced)) await out.write(value);
    }
  } finally {
    await out.close();
  }
  return { kind: 'done', summary: `${read} records → ${out.lines}` };
}

export async function runWholeFile(ctx: TargetContext, runFile: WholeFileFn): Promise<StageOutcome> {
  const files: TransformFiles = {
    inputs: ctx.inputs.map((i) => path.relative(ctx.root, i)),
    records: (which = 0) => recordsOf(ctx, which),
    bindings: ctx.bindings,
  };
  try {
    const value = await runFile(files);
    if (ctx.output.endsWith('.json')) {
      await writeFile(ctx.tempOutput, `${JSON.stringify(value, null, 2)}\n`);
      return { kind: 'done', summary: 'written' };
    }
    if (!isIterable(value)) {
      return {
        kind: 'failed',
        failure: {
          reason: 'transform-threw',
          message: `runFile returned ${typeof value}; return records (an array or an async iterable), or write to a .json output`,
        },
      };
    }
    const out = await JsonlWriter.open(ctx.tempOutput);
    try {
      for await (const record of value) await out.write(record);
    } finally {
      await out.close();
    }
    return { kind: 'done', summary: `${out.lines} records` };
  } catch (error) {
    if (error instanceof BadInputLine) {
      const problems = [{ line: error.line, message: error.message }];
      return { kind: 'failed', failure: badInputFailure(ctx.root, path.resolve(ctx.root, error.file), problems) };
    }
    return { kind: 'failed', failure: threw(error, files.inputs.join(', ')) };
  }
}

async function* recordsOf(ctx: TargetContext, which: number | string): AsyncGenerator<JsonRecord> {
  const input =
    typeof which === 'number' ? ctx.inputs[which] : ctx.inputs.find((i) => path.relative(ctx.root, i) === which);
  if (input === undefined) throw new Error(`records(${JSON.stringify(which)}): the target has no such input`);
  const file = path.relative(ctx.root, input);
  for await (const entry of readJsonl(input)) {
    if (entry.kind === 'error') throw new BadInputLine(file, entry.line, entry.message);
    if (!isRecord(entry.value)) throw new BadInputLine(file, entry.line, 'expected a JSON object');
    yield entry.value;
  }
}

function threw(error: unknown, file: string, line?: number, record?: JsonRecord): StageFailure {
  const message = error instanceof Error ? error.message : String(error);
  const where = line === undefined ? '' : ` on the record at line ${line}`;
  const shown = record === undefined ? undefined : JSON.stringify(record);
  return {
    reason: 'transform-threw',
    message: `the transform threw${where}: ${message}`,
    file,
    ...(line === undefined ? {} : { line }),
    details: [
      ...(shown === undefined ? [] : [`record: ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`]),
      ...userFrames(error),
    ],
  };
}

/** The first stack frames that are not this tool's, so the user sees where in the config it threw. */
function userFrames(error: unknown): string[] {
  if (!(error instanceof Error) || !error.stack) return [];
  return error.stack
    .split('\n')
    .filter((l) => l.trim().startsWith('at ') && !l.includes('/src/stages/') && !l.includes('node:'))
    .slice(0, 2)
    .map((l) => l.trim());
}

function asList(value: JsonRecord | readonly JsonRecord[]): readonly JsonRecord[] {
  return Array.isArray(value) ? (value as readonly JsonRecord[]) : [value];
}

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value);
}

/**
 * A job create call's body (`{input_files | requests, endpoint, model, metadata, timeout_hours}`),
 * checked as Mistral's API checks it before it answers (422 for a body that does not fit the
 * schema, 400/404 for what it refers to), and the job's `input.jsonl` assembled from its files (in
 * order) or its inline requests. Lines that are no request (`{custom_id, body}`) are counted by
 * problem, not refused here: they fail the job as it leaves the queue.
 */
import { mkdir } from 'node:fs/promises';
import { isRecord } from '../http.ts';
import { readLines } from '../lines.ts';
import { LineWriter } from '../writer.ts';
import { ENDPOINTS, type MistralContext } from './context.ts';
import { invalidModel, MistralApiError, MistralValidationError, type ValidationDetail } from './errors.ts';

export interface CreateBody {
  inputFiles: string[];
  requests: unknown[] | null;
  endpoint: string;
  model: string | null;
  metadata: Record<string, string> | null;
  timeoutHours: number;
}

const detail = (type: string, loc: (string | number)[], msg: string, input: unknown): ValidationDetail => ({
  type,
  loc: ['body', ...loc],
  msg,
  input,
});

function schemaProblems(b: Record<string, unknown>): ValidationDetail[] {
  const problems: ValidationDetail[] = [];
  if (b.endpoint === undefined) problems.push(detail('missing', ['endpoint'], 'Field required', b));
  else if (typeof b.endpoint !== 'string' || !ENDPOINTS.includes(b.endpoint))
    problems.push(
      detail('enum', ['endpoint'], `Input should be ${ENDPOINTS.map((e) => `'${e}'`).join(', ')}`, b.endpoint),
    );
  const files = b.input_files;
  if (files !== undefined && files !== null && (!Array.isArray(files) || files.some((f) => typeof f !== 'string')))
    problems.push(detail('list_type', ['input_files'], 'Input should be a valid list of strings', files));
  const requests = b.requests;
  if (requests !== undefined && requests !== null && !Array.isArray(requests))
    problems.push(detail('list_type', ['requests'], 'Input should be a valid list', requests));
  if (b.model !== undefined && b.model !== null && typeof b.model !== 'string')
    problems.push(detail('string_type', ['model'], 'Input should be a valid string', b.model));
  const metadata = b.metadata;
  if (metadata !== undefined && metadata !== null)
    if (!isRecord(metadata))
      problems.push(detail('dict_type', ['metadata'], 'Input should be a valid dictionary', metadata));
    else
      for (const [k, v] of Object.entries(metadata))
        if (typeof v !== 'string')
          problems.push(detail('string_type', ['metadata', k], 'Input should be a valid string', v));
  const hours = b.timeout_hours ?? 24;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1)
    problems.push(
      detail('greater_than_equal', ['timeout_hours'], 'Input should be an integer greater than or equal to 1', hours),
    );
  return problems;
}

export function parseCreate(ctx: MistralContext, body: unknown): CreateBody {
  if (!isRecord(body))
    throw new MistralValidationError([
      detail('model_attributes_type', [], 'Input should be a valid dictionary or object to extract fields from', body),
    ]);
  const problems = schemaProblems(body);
  if (problems.length > 0) throw new MistralValidationError(problems);
  const inputFiles = (body.input_files ?? []) as string[];
  const requests = (body.requests ?? null) as unknown[] | null;
  if (inputFiles.length > 0 === (requests !== null))
    throw new MistralApiError(400, 'Provide either input_files or requests (one of them, not both).');
  const model = (body.model ?? null) as string | null;
  if (model !== null && !ctx.models.isKnown(model)) throw invalidModel(model);
  return {
    inputFiles,
    requests,
    endpoint: body.endpoint as string,
    model,
    metadata: (body.metadata ?? null) as Record<string, string> | null,
    timeoutHours: (body.timeout_hours ?? 24) as number,
  };
}

/** The input files, checked: they exist, are batch files, and stay within the job's size limit together. */
export function inputSources(ctx: MistralContext, ids: readonly string[]): string[] {
  const now = ctx.clock.now();
  let bytes = 0;
  return ids.map((id) => {
    const rec = ctx.files.get(id, now);
    if (!rec) throw new MistralApiError(404, `No file found with id '${id}'.`, 'not_found');
    if (rec.purpose !== 'batch')
      throw new MistralApiError(400, `File '${id}' has purpose '${rec.purpose}', not 'batch'.`);
    bytes += rec.bytes;
    if (bytes > ctx.limits.maxBytes)
      throw new MistralApiError(
        400,
        `The job's input files exceed the limit of ${ctx.limits.maxBytes} bytes together.`,
      );
    return ctx.files.contentPath(id);
  });
}

export interface Written {
  total: number;
  /** Problems of lines that are no request, by message (the job fails with them as it leaves the queue). */
  problems: Map<string, number>;
}

/** Writes the job's `input.jsonl`: every line `{custom_id, body}` (a missing custom_id becomes the line's place). */
export async function writeInput(
  ctx: MistralContext,
  id: string,
  sources: string[],
  requests: unknown[] | null,
): Promise<Written> {
  await mkdir(ctx.batches.workDir(id), { recursive: true });
  const out = LineWriter.create(ctx.batches.input(id));
  const written: Written = { total: 0, problems: new Map() };
  const reject = (problem: string) => written.problems.set(problem, (written.problems.get(problem) ?? 0) + 1);
  const add = async (line: unknown) => {
    if (!isRecord(line)) reject('Invalid JSON line: each line must be an object {"custom_id": …, "body": {…}}');
    else if (!isRecord(line.body)) reject('Missing body: each line must carry the request body in "body"');
    else {
      const customId = typeof line.custom_id === 'string' ? line.custom_id : String(written.total);
      await out.line({ custom_id: customId, body: line.body });
    }
    written.total++;
  };
  try {
    for (const r of requests ?? []) await add(r);
    for (const source of sources)
      for await (const { text } of readLines(source)) {
        if (text.trim() === '') continue;
        let line: unknown;
        try {
          line = JSON.parse(text);
        } catch {
          line = undefined;
        }
        await add(line);
      }
  } finally {
    await out.close();
  }
  return written;
}

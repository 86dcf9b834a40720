/**
 * A batch create call's body, `{batch: {displayName, inputConfig: {requests: {requests: [{request,
 * metadata}]}} | {fileName}, priority}}`, checked as the service checks it before it answers
 * (400 INVALID_ARGUMENT), and its requests written to the batch's `input.jsonl`, one per line
 * (`{metadata, request}` inline, the file's own `{key, request}` lines), with their prompt tokens
 * counted for the enqueued-token quota. A file line that is no request does not refuse the create:
 * it is kept as `badInput` and fails the batch as it leaves the queue.
 */
import { mkdir } from 'node:fs/promises';
import { isRecord } from '../http.ts';
import { readLines } from '../lines.ts';
import { LineWriter } from '../writer.ts';
import type { GeminiContext } from './context.ts';
import { GoogleApiError } from './errors.ts';
import { field, promptTokensOf, readRequest } from './request.ts';

export interface CreateInput {
  displayName: string;
  priority: string;
  /** Inline requests, or null for a file. */
  requests: { request: unknown; metadata?: unknown }[] | null;
  fileName: string | null;
}

export interface Written {
  total: number;
  tokens: number;
  badInput: string | null;
}

const invalid = (message: string) => new GoogleApiError('INVALID_ARGUMENT', message);

function priorityOf(v: unknown): string {
  if (v === undefined || v === null) return '0';
  if ((typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))) return String(v);
  throw invalid(`Invalid value at 'batch.priority' (TYPE_INT64), ${JSON.stringify(v)}`);
}

function inlineRequests(v: unknown): CreateInput['requests'] {
  const list = isRecord(v) ? v.requests : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw invalid('* BatchGenerateContentRequest.batch.input_config.requests.requests: requests must not be empty\n');
  return list.map((item: unknown, i) => {
    if (!isRecord(item) || !isRecord(item.request))
      throw invalid(
        `* BatchGenerateContentRequest.batch.input_config.requests.requests[${i}].request: request is required\n`,
      );
    if (item.metadata !== undefined && !isRecord(item.metadata))
      throw invalid(
        `Invalid value at 'batch.input_config.requests.requests[${i}].metadata' (type.googleapis.com/google.protobuf.Struct)`,
      );
    return { request: item.request, ...(item.metadata === undefined ? {} : { metadata: item.metadata }) };
  });
}

export function parseCreate(body: unknown): CreateInput {
  const batch = isRecord(body) && isRecord(body.batch) ? body.batch : {};
  const displayName = field(batch, 'displayName');
  if (typeof displayName !== 'string' || displayName === '')
    throw invalid('* BatchGenerateContentRequest.batch.display_name: display_name is required\n');
  const config = field(batch, 'inputConfig');
  const requests = isRecord(config) ? config.requests : undefined;
  const fileName = isRecord(config) ? field(config, 'fileName') : undefined;
  if ((requests === undefined) === (fileName === undefined))
    throw invalid(
      '* BatchGenerateContentRequest.batch.input_config: exactly one of requests or file_name must be set\n',
    );
  if (fileName !== undefined && (typeof fileName !== 'string' || !fileName.startsWith('files/')))
    throw invalid(
      `* BatchGenerateContentRequest.batch.input_config.file_name: invalid file name ${JSON.stringify(fileName)}\n`,
    );
  return {
    displayName,
    priority: priorityOf(batch.priority),
    requests: requests === undefined ? null : inlineRequests(requests),
    fileName: fileName ?? null,
  };
}

const tokensOf = (request: unknown, model: string, ctx: GeminiContext): number => {
  const read = readRequest(request, model, ctx.models);
  return typeof read === 'string' ? 0 : promptTokensOf(model, read);
};

/** Writes the batch's `input.jsonl` from the inline requests or the uploaded file at `source`. */
export async function writeInput(
  ctx: GeminiContext,
  id: string,
  model: string,
  input: CreateInput,
  source: string | null,
): Promise<Written> {
  await mkdir(ctx.batches.workDir(id), { recursive: true });
  const out = LineWriter.create(ctx.batches.input(id));
  const written: Written = { total: 0, tokens: 0, badInput: null };
  const add = async (line: Record<string, unknown>) => {
    written.total++;
    written.tokens += tokensOf(line.request, model, ctx);
    await out.line(line);
  };
  try {
    for (const r of input.requests ?? []) await add(r);
    if (source !== null)
      for await (const { lineNo, text } of readLines(source)) {
        if (text.trim() === '' || written.badInput) continue;
        let line: unknown;
        try {
          line = JSON.parse(text);
        } catch {
          line = undefined;
        }
        if (isRecord(line) && isRecord(line.request) && (line.key === undefined || typeof line.key === 'string'))
          await add(line);
        else
          written.badInput = `Line ${lineNo} of ${input.fileName ?? 'the input file'} is not a request line ({"key": …, "request": {…}}).`;
      }
  } finally {
    await out.close();
  }
  if (written.total === 0 && !written.badInput)
    written.badInput = `${input.fileName ?? 'The input'} holds no requests.`;
  return written;
}

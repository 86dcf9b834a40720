/**
 * The validation pass over a batch input file, streamed line by line: per-line errors with
 * 1-based line numbers (the codes and texts the real service uses where known; the body checks
 * are in request-body.ts), the request count, the model, and the prompt tokens of every line
 * (written to `tokens.bin` as uint32s so execution need not count them again).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { isRecord } from '../http.ts';
import { readLines } from '../lines.ts';
import { embeddingInputs, modelOf, promptTokens } from '../model.ts';
import { checkBody } from './request-body.ts';
import type { BatchErrorEntry } from './types.ts';

export const MAX_REQUESTS = 50_000;
export const MAX_EMBEDDING_INPUTS = 50_000;
const MAX_ERRORS = 100;

export interface Validated {
  errors: BatchErrorEntry[];
  total: number;
  model: string | null;
  tokens: number;
}

const lineError = (
  code: string,
  message: string,
  line: number | null,
  param: string | null = null,
): BatchErrorEntry => ({ code, message, param, line });

export const DUPLICATE_MESSAGE =
  'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.';

/** Checks one parsed line; returns its error or null. `seen` holds the custom_ids so far. */
function checkLine(
  v: unknown,
  lineNo: number,
  endpoint: string,
  seen: Set<string>,
  model: string | null,
  isKnownModel: (m: string) => boolean,
): BatchErrorEntry | null {
  if (!isRecord(v)) return lineError('invalid_json_line', 'This line is not parseable as valid JSON.', lineNo);
  for (const field of ['custom_id', 'method', 'url', 'body'] as const) {
    if (v[field] === undefined || v[field] === null) {
      return lineError('missing_required_parameter', `Missing required parameter: '${field}'.`, lineNo, field);
    }
  }
  if (typeof v.custom_id !== 'string')
    return lineError('invalid_request', "Invalid type for 'custom_id': expected a string.", lineNo, 'custom_id');
  if (v.method !== 'POST')
    return lineError(
      'invalid_method',
      `Invalid value: '${String(v.method)}'. Supported values are: 'POST'.`,
      lineNo,
      'method',
    );
  if (v.url !== endpoint) {
    return lineError(
      'url_mismatch',
      `The url '${String(v.url)}' for this request does not match the batch endpoint '${endpoint}'.`,
      lineNo,
      'url',
    );
  }
  if (!isRecord(v.body))
    return lineError('invalid_request', "Invalid type for 'body': expected an object.", lineNo, 'body');
  const problem = checkBody(endpoint, v.body, isKnownModel);
  if (problem) return { ...problem, line: lineNo };
  const lineModel = modelOf(endpoint, v.body);
  if (model !== null && lineModel !== model) {
    return lineError(
      'mismatched_model',
      `The model '${lineModel}' for this request does not match the rest of the batch. Each batch must contain requests for a single model.`,
      lineNo,
      'body.model',
    );
  }
  if (seen.has(v.custom_id)) return lineError('duplicate_custom_id', DUPLICATE_MESSAGE, lineNo, 'custom_id');
  return null;
}

export async function validateInput(
  input: string,
  endpoint: string,
  tokensFile: string,
  isKnownModel: (model: string) => boolean,
  maxRequests = MAX_REQUESTS,
): Promise<Validated> {
  const errors: BatchErrorEntry[] = [];
  const seen = new Set<string>();
  const out = createWriteStream(tokensFile);
  let chunk = new Uint32Array(4096);
  let filled = 0;
  const push = async (n: number) => {
    chunk[filled++] = Math.min(n, 0xffffffff);
    if (filled === chunk.length) {
      if (!out.write(Buffer.from(chunk.buffer))) await once(out, 'drain');
      chunk = new Uint32Array(4096);
      filled = 0;
    }
  };
  let total = 0;
  let tokens = 0;
  let inputs = 0;
  let model: string | null = null;
  // A blank line is not skipped: it is not valid JSON, so it fails as such (a final newline is not
  // a blank line: readLines yields no empty line after it).
  for await (const { lineNo, text } of readLines(input)) {
    total++;
    if (total > maxRequests) {
      errors.push(
        lineError(
          'too_many_tasks',
          `The input file contains more than the maximum of ${maxRequests.toLocaleString('en-US')} requests.`,
          lineNo,
        ),
      );
      break;
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    const problem = checkLine(v, lineNo, endpoint, seen, model, isKnownModel);
    if (problem) {
      errors.push(problem);
      if (errors.length >= MAX_ERRORS) break;
      continue;
    }
    const line = v as { custom_id: string; body: Record<string, unknown> };
    seen.add(line.custom_id);
    model ??= modelOf(endpoint, line.body);
    if (endpoint === '/v1/embeddings') inputs += embeddingInputs(line.body).length;
    // Token counting is the expensive part; skip it once the file is known to fail.
    const n = errors.length === 0 ? promptTokens(endpoint, line.body) : 0;
    tokens += n;
    await push(n);
  }
  out.end(Buffer.from(chunk.buffer, 0, filled * 4));
  await once(out, 'close');
  if (total === 0)
    errors.push(
      lineError(
        'empty_file',
        'The input file is empty. Please ensure that the batch contains at least one request.',
        null,
      ),
    );
  if (inputs > MAX_EMBEDDING_INPUTS) {
    errors.push(
      lineError(
        'too_many_inputs',
        `The batch contains ${inputs} embedding inputs; the maximum is ${MAX_EMBEDDING_INPUTS.toLocaleString('en-US')} across all requests.`,
        null,
      ),
    );
  }
  return { errors, total, model, tokens };
}

/**
 * Reads the request file (OpenAI batch input lines) into what planning needs: per line its
 * custom_id, the hash of its canonical request (the request cache's key), model, endpoint and the
 * exact text to send. Problems are collected with line numbers, like the other stages do.
 */
import { hashFile, hashText, canonicalJson } from '../../util/hash.ts';
import { LineTooLongError, readJsonl } from '../../util/jsonl.ts';
import { err, ok, type Result } from '../../util/result.ts';
import type { ProviderName } from '../../batch-api/types.ts';
import { isRecord } from '../record-template.ts';
import { badInputFailure, type LineProblem } from '../source-records.ts';
import type { StageFailure } from '../types.ts';
import { DEFAULT_COUNTING_MODEL, loadTokenizersFor } from '../../tokens/count.ts';

/** What planning and bookkeeping need of a request line: everything but its text and body. */
export interface RequestRef {
  /** 1-based line in the request file. */
  line: number;
  customId: string;
  /** sha256 of the canonical JSON of method, url and body: equal requests share results. */
  hash: string;
  model: string;
  endpoint: string;
  /** Byte offset of the line in the file and its length, to read it again when it is sent. */
  offset: number;
  bytes: number;
}

export interface RequestEntry extends RequestRef {
  /** The line exactly as written (what is uploaded). */
  text: string;
  body: Record<string, unknown>;
  /** Set on the k-th re-ask of an invalid structured reply (see structured/reask.ts); `customId` stays the line's. */
  reask?: number;
}

export interface RequestFile<E extends RequestRef = RequestEntry> {
  sha256: string;
  entries: E[];
}

/** `keep: 'refs'` drops each line's text and body once checked (a few hundred bytes per line are kept). */
export interface ReadRequestOptions<K extends 'entries' | 'refs'> {
  keep: K;
}

/**
 * `provider`: the shape the lines must have (Anthropic's `{custom_id, params}` or OpenAI's
 * `{custom_id, method, url, body}`); a line of the other shape is reported, naming the fix.
 */
export function readRequestFile(
  file: string,
  root: string,
  provider?: ProviderName,
): Promise<Result<RequestFile, StageFailure>>;
export function readRequestFile(
  file: string,
  root: string,
  provider: ProviderName,
  opts: ReadRequestOptions<'refs'>,
): Promise<Result<RequestFile<RequestRef>, StageFailure>>;
export async function readRequestFile(
  file: string,
  root: string,
  provider: ProviderName = 'openai',
  opts: ReadRequestOptions<'entries' | 'refs'> = { keep: 'entries' },
): Promise<Result<RequestFile<RequestRef>, StageFailure>> {
  const inline = provider === 'anthropic';
  const problems: LineProblem[] & { total?: number } = [];
  problems.total = 0;
  const report = (line: number, message: string) => {
    problems.total! += 1;
    if (problems.length < 50) problems.push({ line, message });
  };
  const entries: RequestRef[] = [];
  const seen = new Map<string, number>();
  try {
    for await (const entry of readJsonl(file)) {
      if (entry.kind === 'error') {
        report(entry.line, entry.message);
        continue;
      }
      const v = entry.value;
      if (!isRecord(v)) {
        report(entry.line, 'expected a JSON object (a batch request line)');
        continue;
      }
      if (typeof v.custom_id !== 'string' || v.custom_id === '') {
        report(entry.line, 'missing "custom_id"');
        continue;
      }
      const body = inline ? v.params : v.body;
      if (!isRecord(body)) {
        const other = inline ? isRecord(v.body) : isRecord(v.params);
        report(
          entry.line,
          other
            ? `a request line in ${inline ? "OpenAI's" : "Anthropic's"} shape, but this batch rule's provider is ${provider}: give the requests rule the same provider`
            : `missing "${inline ? 'params' : 'body'}" (an object)`,
        );
        continue;
      }
      const first = seen.get(v.custom_id);
      if (first !== undefined) {
        report(entry.line, `duplicate custom_id ${v.custom_id} (first on line ${first})`);
        continue;
      }
      seen.set(v.custom_id, entry.line);
      const ref = requestRef(v, body, entry);
      const full: RequestEntry = { ...ref, text: entry.text.trim(), body };
      entries.push(opts.keep === 'refs' ? ref : full);
    }
  } catch (error) {
    if (error instanceof LineTooLongError) report(error.line, error.message);
    else throw error;
  }
  if (problems.length > 0) return err(badInputFailure(root, file, problems));
  return ok({ sha256: await hashFile(file), entries });
}

/** A checked request line's ref (`line` has a string custom_id and its body). */
export function requestRef(
  line: Record<string, unknown>,
  body: Record<string, unknown>,
  at: { line: number; offset: number; bytes: number },
): RequestRef {
  const inline = line.body === undefined && isRecord(line.params);
  return {
    line: at.line,
    customId: String(line.custom_id),
    hash: lineHash(line),
    model: typeof body.model === 'string' ? body.model : '',
    endpoint: inline ? ANTHROPIC_ENDPOINT : typeof line.url === 'string' ? line.url : '/v1/chat/completions',
    offset: at.offset,
    bytes: at.bytes,
  };
}

/** What Anthropic's request lines are sent to (they carry no url of their own). */
export const ANTHROPIC_ENDPOINT = '/v1/messages';

/** The request cache's key of a request line, in either provider shape (the one definition of it). */
export function lineHash(line: Record<string, unknown>): string {
  return isRecord(line.params) && line.body === undefined
    ? requestHash('POST', ANTHROPIC_ENDPOINT, line.params)
    : requestHash(line.method, line.url, line.body);
}

export function requestHash(method: unknown, url: unknown, body: unknown): string {
  return hashText(canonicalJson({ method: method ?? null, url: url ?? null, body }));
}

/** Loads the tokenizers these requests are counted with: await before `promptTokens` and what calls it. */
export function loadTokenizersForRequests(entries: readonly Pick<RequestRef, 'model'>[]): Promise<void> {
  return loadTokenizersFor(new Set(entries.map((e) => e.model || DEFAULT_COUNTING_MODEL)));
}

/** Estimated prompt tokens, as the provider bills them: one definition, in tokens/request-tokens.ts. */
export { promptTokens } from '../../tokens/request-tokens.ts';

/** The reply ceiling a request sets: one definition for every provider, in tokens/output-bound.ts. */
export { maxOutputTokens } from '../../tokens/output-bound.ts';

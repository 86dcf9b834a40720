/**
 * Reads a request file (one provider's request lines, in its line format) into what planning
 * needs: per line its id, the hash of its canonical request (the request cache's key), model,
 * endpoint and the exact text to send. Problems are collected with line numbers, like the other
 * stages do.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from '../../util/hash.ts';
import { LineTooLongError, readJsonl } from '../../util/jsonl.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { DEFAULT_PROVIDER, providerSpec, wireOfRequest } from '../../providers/registry.ts';
import type { WireFormat } from '../../providers/spec.ts';
import { isRecord } from '../record-template.ts';
import { badInputFailure, type LineProblem } from '../source-records.ts';
import type { StageFailure } from '../types.ts';
import { DEFAULT_COUNTING_MODEL, loadTokenizersFor } from '../../tokens/count.ts';
import { RequestFileChanged, RequestFileVersion, StoredRequest } from './stored-request.ts';

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
  /** The line format it is in (its provider's). */
  wire: WireFormat;
}

export interface RequestEntry extends RequestRef {
  /** The line exactly as written (what is uploaded); for a line read from its file, read back when asked (see stored-request.ts). */
  readonly text: string;
  readonly body: Record<string, unknown>;
  /** Known without the body: the request's bound on its output, and whether it asks for prompt caching. */
  readonly maxOutput?: number | undefined;
  readonly cacheWrites?: boolean;
  /** Set on the k-th re-ask of an invalid structured reply (see structured/reask.ts); `customId` stays the line's. */
  reask?: number;
  /** A re-ask's own custom id on the wire (unique in its batch; recorded with its part). */
  sentId?: string;
}

export interface RequestFile<E extends RequestRef = RequestEntry> {
  sha256: string;
  entries: E[];
}

/**
 * `keep: 'refs'` drops each line's text and body once checked (a few hundred bytes per line are
 * kept); `entries` keeps the same and reads a line's text and body back from the file when asked.
 */
export interface ReadRequestOptions<K extends 'entries' | 'refs'> {
  keep: K;
}

/** `provider`: whose line format the lines must be in; a line in another provider's format is reported, naming the fix. */
export function readRequestFile(
  file: string,
  root: string,
  provider?: string,
): Promise<Result<RequestFile, StageFailure>>;
export function readRequestFile(
  file: string,
  root: string,
  provider: string,
  opts: ReadRequestOptions<'refs'>,
): Promise<Result<RequestFile<RequestRef>, StageFailure>>;
export async function readRequestFile(
  file: string,
  root: string,
  provider: string = DEFAULT_PROVIDER,
  opts: ReadRequestOptions<'entries' | 'refs'> = { keep: 'entries' },
): Promise<Result<RequestFile<RequestRef>, StageFailure>> {
  const wire = providerSpec(provider).wire;
  const problems: LineProblem[] & { total?: number } = [];
  problems.total = 0;
  const report = (line: number, message: string) => {
    problems.total! += 1;
    if (problems.length < 50) problems.push({ line, message });
  };
  const entries: RequestRef[] = [];
  const seen = new Map<string, number>();
  const before = await stat(file).catch(() => undefined);
  const version = new RequestFileVersion(file, before?.size ?? 0, before?.mtimeMs ?? 0);
  // Model and endpoint names repeat on every line: one string each, not one per line.
  const names = new Map<string, string>();
  const named = (s: string) => names.get(s) ?? (names.set(s, s), s);
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
      const id = v[wire.idField];
      const read = typeof id === 'string' && id !== '' ? wire.readRequest(v) : undefined;
      if (!read) {
        const other = wireOfRequest(v);
        report(
          entry.line,
          other && other !== wire
            ? `a request line in ${other.name} format, but this rule's provider is ${provider}: give the requests rule the same provider`
            : typeof id !== 'string' || id === ''
              ? `missing "${wire.idField}"`
              : wire.requestProblem(v),
        );
        continue;
      }
      const customId = id as string;
      const first = seen.get(customId);
      if (first !== undefined) {
        report(entry.line, `duplicate ${wire.idField} ${customId} (first on line ${first})`);
        continue;
      }
      seen.set(customId, entry.line);
      const hash = wire.hash(v);
      const [model, endpoint] = [named(read.model), named(read.endpoint)];
      entries.push(
        opts.keep === 'refs'
          ? { line: entry.line, customId, hash, model, endpoint, offset: entry.offset, bytes: entry.bytes, wire }
          : new StoredRequest(
              entry.line,
              customId,
              hash,
              model,
              endpoint,
              entry.offset,
              entry.bytes,
              wire,
              version,
              wire.maxOutputTokens(read.body),
              entry.text.includes('"cache_control"'),
            ),
      );
    }
  } catch (error) {
    if (error instanceof LineTooLongError) report(error.line, error.message);
    else throw error;
  }
  if (problems.length > 0) return err(badInputFailure(root, file, problems));
  const sha256 = await hashFile(file);
  // Lines are read back later by offset: a file edited while it was read is not what was checked.
  const after = await stat(file);
  if (before && (after.size !== before.size || after.mtimeMs !== before.mtimeMs))
    return err({ reason: 'bad-input', message: new RequestFileChanged(file).message, file: path.relative(root, file) });
  return ok({ sha256, entries });
}

/** The request cache's key of a request line, in whichever provider's format it is (the one definition of it). */
export function lineHash(line: Record<string, unknown>): string {
  return (wireOfRequest(line) ?? providerSpec(DEFAULT_PROVIDER).wire).hash(line);
}

/** Loads the tokenizers these requests are counted with: await before `promptTokens` and what calls it. */
export function loadTokenizersForRequests(entries: readonly Pick<RequestRef, 'model'>[]): Promise<void> {
  return loadTokenizersFor(new Set(entries.map((e) => e.model || DEFAULT_COUNTING_MODEL)));
}

/**
 * Estimated prompt tokens with the model's real tokenizer: the prompt as its format's chat
 * messages, and the schema and tool definitions providers bill (one definition, in tokens/request-tokens.ts).
 */
export { promptTokens } from '../../tokens/request-tokens.ts';

/** The reply ceiling a request sets (`max_tokens`, `max_completion_tokens`, … in its format), if any. */
export function maxOutputTokens(entry: Pick<RequestEntry, 'body' | 'wire' | 'maxOutput'>): number | undefined {
  return 'maxOutput' in entry ? entry.maxOutput : entry.wire.maxOutputTokens(entry.body);
}

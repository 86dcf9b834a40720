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
import { countChatPromptTokens, loadTokenizers, type ChatMessageLike } from '../../tokens/count.ts';

export interface RequestEntry {
  /** 1-based line in the request file. */
  line: number;
  customId: string;
  /** sha256 of the canonical JSON of method, url and body: equal requests share results. */
  hash: string;
  model: string;
  endpoint: string;
  /** The line exactly as written (what is uploaded). */
  text: string;
  body: Record<string, unknown>;
  /** Set on the k-th re-ask of an invalid structured reply (see structured/reask.ts); `customId` stays the line's. */
  reask?: number;
}

export interface RequestFile {
  sha256: string;
  entries: RequestEntry[];
}

/**
 * `provider`: the shape the lines must have (Anthropic's `{custom_id, params}` or OpenAI's
 * `{custom_id, method, url, body}`); a line of the other shape is reported, naming the fix.
 */
export async function readRequestFile(
  file: string,
  root: string,
  provider: ProviderName = 'openai',
): Promise<Result<RequestFile, StageFailure>> {
  const inline = provider === 'anthropic';
  await loadTokenizers();
  const problems: LineProblem[] & { total?: number } = [];
  problems.total = 0;
  const report = (line: number, message: string) => {
    problems.total! += 1;
    if (problems.length < 50) problems.push({ line, message });
  };
  const entries: RequestEntry[] = [];
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
      const endpoint = inline ? ANTHROPIC_ENDPOINT : typeof v.url === 'string' ? v.url : '/v1/chat/completions';
      entries.push({
        line: entry.line,
        customId: v.custom_id,
        hash: lineHash(v),
        model: typeof body.model === 'string' ? body.model : '',
        endpoint,
        text: entry.text.trim(),
        body,
      });
    }
  } catch (error) {
    if (error instanceof LineTooLongError) report(error.line, error.message);
    else throw error;
  }
  if (problems.length > 0) return err(badInputFailure(root, file, problems));
  return ok({ sha256: await hashFile(file), entries });
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

/** Estimated prompt tokens with the model's real tokenizer (chat bodies; other endpoints by text). */
export function promptTokens(entry: Pick<RequestEntry, 'model' | 'body'>): number {
  const messages = entry.body.messages;
  // Anthropic's system prompt is a top-level field; counted as a system message. (Claude's own
  // tokenizer is not public: its counts are estimated with OpenAI's, see README.)
  const system = typeof entry.body.system === 'string' ? [{ role: 'system', content: entry.body.system }] : [];
  if (Array.isArray(messages))
    return countChatPromptTokens(entry.model || 'gpt-4.1', [...system, ...(messages as ChatMessageLike[])]);
  const input = entry.body.input ?? entry.body.prompt;
  return countChatPromptTokens(entry.model || 'gpt-4.1', [
    { role: 'user', content: typeof input === 'string' ? input : JSON.stringify(input ?? '') },
  ]);
}

/** The reply ceiling a request sets (`max_tokens` / `max_completion_tokens` / `max_output_tokens`). */
export function maxOutputTokens(body: Record<string, unknown>): number | undefined {
  for (const key of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const v = body[key];
    if (typeof v === 'number' && v > 0) return v;
  }
  return undefined;
}

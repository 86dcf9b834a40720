/**
 * A structured reply checked with the rule's zod schema. Four ways a reply is *invalid*, each
 * with a reason a person can act on: it was refused, cut at the token limit, is not JSON, or is
 * JSON the schema rejects (the first zod issue, with its path). The valid value is zod's output,
 * so the schema's transforms and defaults apply.
 */
import type { z } from 'zod';
import type { ResultLine } from '../result-line.ts';

export type InvalidKind = 'refusal' | 'truncated' | 'not-json' | 'schema';

export type ReplyCheck = { ok: true; value: unknown } | { ok: false; kind: InvalidKind; message: string };

export function checkReply(result: Extract<ResultLine, { kind: 'succeeded' }>, schema: z.ZodType): ReplyCheck {
  if (result.refusal !== undefined) return { ok: false, kind: 'refusal', message: `refused: ${result.refusal}` };
  if (result.truncated) return { ok: false, kind: 'truncated', message: 'cut at the token limit (raise max_tokens)' };
  let value: unknown = result.toolInput;
  if (value === undefined) {
    if (result.text === undefined) return { ok: false, kind: 'not-json', message: 'the reply has no content' };
    try {
      value = JSON.parse(result.text);
    } catch {
      const shown = result.text.length > 60 ? `${result.text.slice(0, 60)}…` : result.text;
      return { ok: false, kind: 'not-json', message: `not JSON: ${JSON.stringify(shown)}` };
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return { ok: false, kind: 'schema', message: `${where}: ${issue.message}` };
}

/**
 * An online request's body, checked as the batch side checks a line's body (request-body.ts) and
 * worded as the online API words it (`'messages'`, not `'body.messages'`), with what the limits
 * need: its model, the hash that identifies it for billing, and the tokens it is charged.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { isRecord } from '../http.ts';
import { modelOf, promptTokens, type Body } from '../model.ts';
import { ApiError } from '../openai/errors.ts';
import { supported } from '../openai/params.ts';
import { checkBody } from '../openai/request-body.ts';

export type OnlineEndpoint = '/v1/chat/completions' | '/v1/responses' | '/v1/embeddings';

export interface OnlineRequest {
  endpoint: OnlineEndpoint;
  body: Body;
  model: string;
  /** sha256 of the canonical JSON body: the same request sent twice has the same hash. */
  hash: string;
  promptTokens: number;
  /** What the token limit counts: prompt tokens + n × the output cap. */
  chargedTokens: number;
}

const SERVICE_TIERS = ['auto', 'default', 'flex', 'scale', 'priority'] as const;

const STREAMING_MESSAGE =
  "Streaming is served by the emulator's online chat completions only: 'stream' must be false or left out.";

/** The batch-line wording of a problem, reworded for a top-level body. */
const unprefixed = (text: string): string => text.replaceAll("'body.", "'");

export function parseOnlineRequest(
  endpoint: OnlineEndpoint,
  raw: unknown,
  isKnownModel: (model: string) => boolean,
): Result<OnlineRequest, ApiError> {
  if (!isRecord(raw)) return err(new ApiError(400, 'The request body must be a JSON object.', null, 'invalid_type'));
  // Chat completions stream online (chat-stream.ts); a batch line, checked by the same rules, cannot.
  const streams = endpoint === '/v1/chat/completions' && raw.stream === true;
  const problem = checkBody(endpoint, streams ? { ...raw, stream: false } : raw, isKnownModel);
  if (problem) {
    const param = problem.param === null ? null : problem.param.replace(/^body\./, '');
    if (problem.code === 'model_not_found') return err(new ApiError(404, problem.message, null, problem.code));
    const message = param === 'stream' ? STREAMING_MESSAGE : unprefixed(problem.message);
    return err(new ApiError(400, message, param, problem.code));
  }
  if (raw.stream_options !== undefined && raw.stream_options !== null && !streams)
    return err(
      new ApiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options'),
    );
  const tier = raw.service_tier;
  if (endpoint === '/v1/chat/completions' && tier !== undefined && tier !== null) {
    if (typeof tier !== 'string' || !(SERVICE_TIERS as readonly string[]).includes(tier))
      return err(
        new ApiError(
          400,
          supported(typeof tier === 'string' ? tier : JSON.stringify(tier), SERVICE_TIERS),
          'service_tier',
          'invalid_value',
        ),
      );
  }
  const prompt = promptTokens(endpoint, raw);
  return ok({
    endpoint,
    body: raw,
    model: modelOf(endpoint, raw),
    hash: hashText(canonicalJson(raw)),
    promptTokens: prompt,
    chargedTokens: prompt + outputAllowance(raw),
  });
}

/** n × the output cap the body asks for (0 when it sets none, as for embeddings). */
function outputAllowance(body: Body): number {
  const cap = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  if (typeof cap !== 'number' || !Number.isFinite(cap) || cap <= 0) return 0;
  const n = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 0 ? body.n : 1;
  return n * cap;
}

/** The tier a chat completion reports: the one asked for, `default` for `auto` or none. */
export function servedTier(body: Body): string {
  const tier = body.service_tier;
  return typeof tier === 'string' && tier !== 'auto' ? tier : 'default';
}

/**
 * The checks a line's `body` gets when its request runs, as Mistral's endpoints check a request
 * (a failed line, not a failed job): the model exists, the body fits the endpoint's schema (extra
 * fields are refused with 422 `extra_forbidden`, as users of the real API have seen), no streaming.
 * The stand-in serves chat completions and embeddings; other endpoints' lines fail.
 */
import type { ModelTable } from '../model-table.ts';
import type { ValidationDetail } from './errors.ts';

const FIELDS: Readonly<Record<string, readonly string[]>> = {
  '/v1/chat/completions': [
    'model',
    'messages',
    'temperature',
    'top_p',
    'max_tokens',
    'stream',
    'stop',
    'random_seed',
    'metadata',
    'response_format',
    'tools',
    'tool_choice',
    'presence_penalty',
    'frequency_penalty',
    'n',
    'prediction',
    'parallel_tool_calls',
    'prompt_mode',
    'safe_prompt',
  ],
  '/v1/embeddings': ['model', 'input', 'metadata', 'output_dimension', 'output_dtype', 'encoding_format'],
};

/** A line's failure: the HTTP status its response carries and the body Mistral would answer. */
export interface LineProblem {
  status: number;
  body: unknown;
}

const refused = (status: number, message: string, type = 'invalid_request_error', code: string | null = null) => ({
  status,
  body: { object: 'error', message, type, param: null, code },
});

const invalid = (detail: ValidationDetail): LineProblem => ({ status: 422, body: { detail: [detail] } });

export function checkLine(endpoint: string, body: Record<string, unknown>, models: ModelTable): LineProblem | null {
  const fields = FIELDS[endpoint];
  if (!fields) return refused(400, `The emulator's stand-in model does not serve ${endpoint}.`);
  const model = body.model;
  if (typeof model !== 'string')
    return invalid({ type: 'missing', loc: ['body', 'model'], msg: 'Field required', input: body });
  for (const key of Object.keys(body))
    if (!fields.includes(key))
      return invalid({
        type: 'extra_forbidden',
        loc: ['body', key],
        msg: 'Extra inputs are not permitted',
        input: body[key],
      });
  const required = endpoint === '/v1/embeddings' ? 'input' : 'messages';
  const value = body[required];
  if (value === undefined || (Array.isArray(value) && value.length === 0))
    return invalid({ type: 'missing', loc: ['body', required], msg: 'Field required', input: body });
  if (body.stream === true) return refused(400, 'Streaming is not supported in batch requests.');
  if (!models.isKnown(model)) return refused(400, `Invalid model: ${model}`, 'invalid_model', '1500');
  return null;
}

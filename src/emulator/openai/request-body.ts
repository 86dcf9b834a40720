/**
 * Checks of a request line's `body` for its endpoint, as the real batch validation does before
 * anything runs: the model exists, the endpoint's required parameters are there with the right
 * type, and no streaming (a batch cannot stream). Each problem is a typed value, not a throw.
 */
import { embeddingsProblem } from '../embeddings.ts';
import { modelOf } from '../model.ts';
import { typeName } from './params.ts';
import type { BatchErrorEntry } from './types.ts';

type Problem = Omit<BatchErrorEntry, 'line'>;

/** The parameter each endpoint cannot do without, and the type it must have. */
const REQUIRED: Readonly<Record<string, { name: string; array: boolean }>> = {
  '/v1/chat/completions': { name: 'messages', array: true },
  '/v1/embeddings': { name: 'input', array: false },
  '/v1/moderations': { name: 'input', array: false },
  '/v1/completions': { name: 'prompt', array: false },
};

function requiredParameter(endpoint: string, body: Record<string, unknown>): Problem | null {
  const rule = REQUIRED[endpoint];
  if (!rule) return null;
  const param = `body.${rule.name}`;
  const value = body[rule.name];
  if (value === undefined || value === null)
    return { code: 'missing_required_parameter', message: `Missing required parameter: '${param}'.`, param };
  if (!rule.array) return null;
  if (!Array.isArray(value))
    return {
      code: 'invalid_type',
      message: `Invalid type for '${param}': expected an array, but got ${typeName(value)} instead.`,
      param,
    };
  if (value.length === 0) {
    return {
      code: 'empty_array',
      message: `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      param,
    };
  }
  return null;
}

/** `n`, the number of choices: an integer from 1 to 128 (the API's bounds). */
function choicesProblem(n: unknown): Problem | null {
  if (n === undefined || n === null) return null;
  const param = 'body.n';
  if (typeof n !== 'number' || !Number.isInteger(n))
    return {
      code: 'invalid_type',
      message: `Invalid type for '${param}': expected an integer, but got ${typeName(n)} instead.`,
      param,
    };
  if (n < 1 || n > 128)
    return {
      code: n < 1 ? 'integer_below_min_value' : 'integer_above_max_value',
      message:
        n < 1
          ? `Invalid '${param}': integer below minimum value. Expected a value >= 1, but got ${n} instead.`
          : `Invalid '${param}': integer above maximum value. Expected a value <= 128, but got ${n} instead.`,
      param,
    };
  return null;
}

/** The first problem with `body` (already known to be an object) for `endpoint`, or null. */
export function checkBody(
  endpoint: string,
  body: Record<string, unknown>,
  isKnownModel: (model: string) => boolean,
): Problem | null {
  if (body.model !== undefined && typeof body.model !== 'string') {
    return {
      code: 'invalid_type',
      message: `Invalid type for 'body.model': expected a string, but got ${typeName(body.model)} instead.`,
      param: 'body.model',
    };
  }
  // Only moderations have a default model; everywhere else it must be named.
  if (body.model === undefined && endpoint !== '/v1/moderations') {
    return {
      code: 'missing_required_parameter',
      message: "Missing required parameter: 'body.model'.",
      param: 'body.model',
    };
  }
  const model = modelOf(endpoint, body);
  if (!isKnownModel(model))
    return {
      code: 'model_not_found',
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
      param: 'body.model',
    };
  const missing = requiredParameter(endpoint, body);
  if (missing) return missing;
  if (endpoint === '/v1/chat/completions') {
    const problem = choicesProblem(body.n);
    if (problem) return problem;
  }
  if (endpoint === '/v1/embeddings') {
    const problem = embeddingsProblem(body, model, 'body.');
    if (problem) return problem;
  }
  if (body.stream === true) {
    return {
      code: 'invalid_value',
      message: "Streaming is not supported by the Batch API: 'body.stream' must be false or left out.",
      param: 'body.stream',
    };
  }
  return null;
}

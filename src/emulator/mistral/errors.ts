/**
 * Mistral's error bodies, in the three shapes its API answers with (as observed by its users): a
 * refused call `{object:"error", message, type, param, code}`, a body that fails validation (422)
 * `{detail:[{type, loc, msg, input}]}`, and a missing or wrong key (401) `{detail:"Unauthorized"}`.
 */
import { HttpError } from '../http.ts';

export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
}

export class MistralApiError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
  ) {
    super(status, message);
  }

  body(): unknown {
    return { object: 'error', message: this.message, type: this.type, param: null, code: this.code };
  }
}

/** A 422: the request body does not fit the endpoint's schema. */
export class MistralValidationError extends HttpError {
  constructor(readonly detail: ValidationDetail[]) {
    super(422, detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
  }

  body(): unknown {
    return { detail: this.detail };
  }
}

export class MistralUnauthorized extends HttpError {
  constructor() {
    super(401, 'Unauthorized');
  }

  body(): unknown {
    return { detail: 'Unauthorized' };
  }
}

export const invalidModel = (model: string) =>
  new MistralApiError(400, `Invalid model: ${model}`, 'invalid_model', '1500');

/** What an injected HTTP fault of this status looks like on Mistral's side. */
export function faultError(status: number): MistralApiError {
  if (status === 429) return new MistralApiError(429, 'Requests rate limit exceeded', 'rate_limited', '1300');
  return new MistralApiError(status, 'Service unavailable.', 'internal_server_error');
}

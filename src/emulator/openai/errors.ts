/** OpenAI's error envelope, `{"error":{message,type,param,code}}`, and its bounded JSON request bodies. */
import type { IncomingMessage } from 'node:http';
import { HttpError, readBytes, type ByteCounter } from '../http.ts';

export class ApiError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(status, message);
  }

  body(): unknown {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const MAX_JSON_BODY = 1 << 20;

/** Reads a small JSON body (batch create, control routes); empty body = undefined. */
export async function readJsonBody(req: IncomingMessage, counter: ByteCounter): Promise<unknown> {
  const raw = await readBytes(req, counter, MAX_JSON_BODY, () => new ApiError(413, 'Request body too large.'));
  const text = raw.toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    );
  }
}

export interface FaultText {
  message: string;
  type: string;
  code: string | null;
}

/** OpenAI's texts for the statuses faults inject (also the online endpoints'). */
export const STATUS_TEXT = {
  429: {
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
} as const satisfies Record<number, FaultText>;

/** What an injected HTTP fault of this status looks like on OpenAI's side (529 is a bare server error here). */
export function faultError(status: number): ApiError {
  const text: FaultText = (STATUS_TEXT as Record<number, FaultText>)[status] ?? {
    message: 'Injected fault.',
    type: 'server_error',
    code: null,
  };
  return new ApiError(status, text.message, null, text.code, text.type);
}

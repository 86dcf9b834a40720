/**
 * The online transport of the providers that speak OpenAI's chat API: one request at a time to an
 * OpenAI-compatible server — OpenAI itself, vLLM `serve`,
 * Ollama, llama.cpp `llama-server`, the built-in emulator — through the official SDK, the only
 * importer of it for online calls. One method: send one request line's body to its endpoint and
 * say what came back, as data. SDK retries are off: the runner decides what is retried, when, and
 * how often, and keeps the count.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { OnlineAnswer, OnlineApi } from '../online-api.ts';
import { scrubSecrets } from './http-errors.ts';

export interface OnlineApiOptions {
  apiKey: string;
  /** Undefined: the SDK's default (OPENAI_BASE_URL or https://api.openai.com/v1). */
  baseURL?: string | undefined;
  /** Azure's `api-key` header, for example. */
  defaultHeaders?: Record<string, string> | undefined;
}

export function createOnlineApi(options: OnlineApiOptions): OnlineApi {
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
    maxRetries: 0,
  });
  return {
    async send(endpoint, body, { timeoutMs, signal }) {
      // Request lines name the endpoint with its version (`/v1/chat/completions`); the base URL has it already.
      const route = endpoint.replace(/^\/v1(?=\/)/, '');
      try {
        const { data, response } = await client
          .post<Record<string, unknown>>(route, {
            body,
            timeout: timeoutMs,
            maxRetries: 0,
            ...(signal ? { signal } : {}),
          })
          .withResponse();
        const requestId = response.headers.get('x-request-id') ?? undefined;
        return {
          kind: 'response',
          status: response.status,
          body: isObject(data) ? data : { value: data },
          ...(requestId ? { requestId } : {}),
          header: (name) => response.headers.get(name),
        };
      } catch (error) {
        return fromError(error, options.apiKey);
      }
    },
    // GET /models: served by OpenAI, vLLM, Ollama and llama.cpp, and billed by none. Any answer
    // below 500 (a 404 from a server without the route, a 401) says the server is there.
    async probe({ timeoutMs, signal }) {
      try {
        await client.get('/models', { timeout: timeoutMs, maxRetries: 0, signal });
        return true;
      } catch (error) {
        return error instanceof APIError && typeof error.status === 'number' && error.status < 500;
      }
    },
  };
}

function fromError(error: unknown, apiKey: string): OnlineAnswer {
  const message = scrubSecrets(error instanceof Error ? error.message : String(error), apiKey);
  if (error instanceof APIConnectionTimeoutError) return { kind: 'no-response', code: 'request_timeout', message };
  if (error instanceof APIConnectionError || !(error instanceof APIError) || typeof error.status !== 'number')
    return { kind: 'no-response', code: 'connection_error', message };
  const headers = error.headers as Headers | undefined;
  const requestId = headers?.get('x-request-id') ?? undefined;
  const inner: unknown = error.error;
  const errorBody = isObject(inner) ? { ...inner } : { message };
  if (typeof errorBody.message === 'string') errorBody.message = scrubSecrets(errorBody.message, apiKey);
  return {
    kind: 'response',
    status: error.status,
    body: { error: errorBody },
    ...(requestId ? { requestId } : {}),
    header: (name) => headers?.get(name),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One server, several providers: each request goes to the flavour its path names. Anthropic's
 * Message Batches live under `/v1/messages/batches`, which no OpenAI route uses; everything else
 * (OpenAI's routes and the `/_emulator` controls) goes to the OpenAI router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnthropicContext } from './anthropic/context.ts';
import { handleMessageBatches, isMessageBatchesPath } from './anthropic/router.ts';
import type { EmulatorContext } from './context.ts';
import { handle } from './router.ts';

export interface Flavours {
  openai: EmulatorContext;
  anthropic: AnthropicContext;
}

export function dispatch(flavours: Flavours, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (isMessageBatchesPath(pathname)) return handleMessageBatches(flavours.anthropic, req, res);
  return handle(flavours.openai, req, res);
}

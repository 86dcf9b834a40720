/**
 * One server, several providers: each request goes to the flavour its path names. Anthropic's
 * Message Batches live under `/v1/messages/batches`, which no OpenAI route uses; Azure's v1 API
 * under `/openai/v1/`, served by the OpenAI router on the Azure context with the prefix taken off;
 * everything else (OpenAI's routes and the `/_emulator` controls) goes to the OpenAI router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleMessageBatches, isMessageBatchesPath } from './anthropic/router.ts';
import { isAzurePath } from './azure/settings.ts';
import type { Flavours } from './flavours.ts';
import { handle } from './router.ts';

export function dispatch(flavours: Flavours, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (isMessageBatchesPath(pathname)) return handleMessageBatches(flavours.anthropic, req, res);
  if (isAzurePath(pathname)) {
    req.url = (req.url ?? '/').slice('/openai'.length);
    return handle(flavours.azure, req, res);
  }
  return handle(flavours.openai, req, res);
}

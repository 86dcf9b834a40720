/**
 * One server, several providers: each request goes to the flavour its path names. Anthropic's
 * Message Batches live under `/v1/messages/batches`, which no OpenAI route uses; Azure's v1 API
 * under `/openai/v1/`, served by the OpenAI router on the Azure context with the prefix taken off;
 * everything else (OpenAI's routes and the `/_emulator` controls) goes to the OpenAI router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleMessageBatches, isMessageBatchesPath } from './anthropic/router.ts';
import { handleAws } from './aws/handler.ts';
import { isAwsRequest } from './aws/signature.ts';
import { isAzurePath } from './azure/settings.ts';
import type { Flavours } from './flavours.ts';
import { handle } from './router.ts';

export function dispatch(flavours: Flavours, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // AWS (S3, Bedrock) by its SigV4 signature, before any path: S3's paths could be anyone's.
  if (isAwsRequest(req)) return handleAws(flavours.aws, req, res);
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (isMessageBatchesPath(pathname)) return handleMessageBatches(flavours.anthropic, req, res);
  if (isAzurePath(pathname)) {
    req.url = (req.url ?? '/').slice('/openai'.length);
    return handle(flavours.azure, req, res);
  }
  return handle(flavours.openai, req, res);
}

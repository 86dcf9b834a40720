/**
 * Dispatch for Bedrock's batch-inference control plane: route table, per-route call counting
 * (keys like 'POST /model-invocation-job', which fault rules name), the shared faults (answered as
 * ThrottlingException, InternalServerException or ServiceUnavailableException), and
 * `x-amzn-RequestId` on every answer. An unsigned call is refused with 403
 * `MissingAuthenticationTokenException`, as AWS's front door refuses it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SigV4Scope } from '../sigv4/signature.ts';
import { drain } from '../http.ts';
import { applyFaults, loseReply } from '../router.ts';
import type { BedrockContext } from './context.ts';
import { bedrockFaultError, BedrockError, sendBedrockError } from './errors.ts';
import { listJobs } from './list.ts';
import { createJob, getJob, stopJob, type BedrockCall } from './routes.ts';

type Handler = (
  ctx: BedrockContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  query: URLSearchParams,
  call: BedrockCall,
) => Promise<void>;

const JOB = '/model-invocation-job/{jobIdentifier}';

const ROUTES: { method: string; pattern: RegExp; key: string; handler: Handler }[] = [
  {
    method: 'POST',
    pattern: /^\/model-invocation-job$/,
    key: 'POST /model-invocation-job',
    handler: (c, q, s, _i, _u, call) => createJob(c, q, s, call),
  },
  {
    method: 'GET',
    pattern: /^\/model-invocation-jobs$/,
    key: 'GET /model-invocation-jobs',
    handler: (c, _q, s, _i, u) => listJobs(c, s, u),
  },
  {
    method: 'GET',
    pattern: /^\/model-invocation-job\/([^/]+)$/,
    key: `GET ${JOB}`,
    handler: (c, _q, s, i) => getJob(c, s, i),
  },
  {
    method: 'POST',
    pattern: /^\/model-invocation-job\/([^/]+)\/stop$/,
    key: `POST ${JOB}/stop`,
    handler: (c, _q, s, i) => stopJob(c, s, i),
  },
];

export async function handleBedrock(
  ctx: BedrockContext,
  req: IncomingMessage,
  res: ServerResponse,
  scope: SigV4Scope | null,
): Promise<void> {
  res.setHeader('x-amzn-requestid', randomUUID());
  res.setHeader('date', new Date(ctx.clock.now()).toUTCString());
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?');
  const method = req.method ?? 'GET';
  try {
    let route: (typeof ROUTES)[number] | undefined;
    let id = '';
    for (const r of ROUTES) {
      const m = r.method === method ? r.pattern.exec(rawPath) : null;
      if (m) {
        route = r;
        id = decodeURIComponent(m[1] ?? '');
        break;
      }
    }
    const key = route?.key ?? `${method} (unknown route)`;
    const literal = `${method} ${rawPath}`;
    ctx.stats.route(key);
    // AWS sends Retry-After in seconds only (no retry-after-ms).
    const faulted = await applyFaults(ctx, req, key, literal, (status, seconds) =>
      sendBedrockError(
        res,
        bedrockFaultError(status),
        ctx.counter,
        seconds === undefined ? {} : { 'retry-after': String(seconds) },
      ),
    );
    if (faulted) return;
    if (!scope) {
      await drain(req, ctx.counter);
      throw new BedrockError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if (!route) {
      await drain(req, ctx.counter);
      throw new BedrockError(
        'UnknownOperationException',
        `The emulator serves no Bedrock operation at ${method} ${rawPath}.`,
      );
    }
    if (ctx.faults.loseReply(key, literal)) loseReply(req, res);
    await route.handler(ctx, req, res, id, new URLSearchParams(rawQuery), { region: scope.region });
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const error =
      e instanceof BedrockError
        ? e
        : new BedrockError(
            'InternalServerException',
            `The emulator failed: ${e instanceof Error ? e.message : String(e)}`,
          );
    sendBedrockError(res, error, ctx.counter);
  }
}

/** The AWS flavour as the server dispatches to it: by the request's SigV4 signature, not its path. */
import type { ServedFlavour, Shared } from '../flavours.ts';
import type { EmulatorOptions } from '../types.ts';
import { handleAws, startAws } from './handler.ts';
import { isAwsRequest } from '../sigv4/signature.ts';
import { awsStats } from './stats.ts';

export async function startAwsFlavour(shared: Shared, opts: EmulatorOptions): Promise<ServedFlavour> {
  const ctx = await startAws(shared, opts.stateDir, opts.bedrock);
  return {
    name: 'aws',
    owns: (req) => isAwsRequest(req),
    serve: (req, res) => handleAws(ctx, req, res),
    stats: async () => ({ aws: await awsStats(ctx) }),
    // Bedrock jobs have no expire control.
    forceExpire: () => Promise.resolve(undefined),
  };
}

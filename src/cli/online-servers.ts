/**
 * PIPELINE_ONLINE_SERVERS: a fleet of OpenAI-compatible servers (comma-separated base URLs) for
 * every online rule without its own `baseURL`, given at run time instead of in the config (the
 * replicas of today's cluster, say). A value that is not a list of http(s) URLs is a usage error
 * naming the variable and the bad entry.
 */
import { err, ok, type Result } from '../util/result.ts';
import { UsageError } from './project.ts';

export const ONLINE_SERVERS_VARIABLE = 'PIPELINE_ONLINE_SERVERS';

/** The listed base URLs (undefined: the variable is unset or blank). */
export function onlineServersFrom(env: NodeJS.ProcessEnv): Result<string[] | undefined, UsageError> {
  const raw = env[ONLINE_SERVERS_VARIABLE]?.trim();
  if (!raw) return ok(undefined);
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      return err(
        new UsageError(`Error: ${ONLINE_SERVERS_VARIABLE} has '${url}', which is not an http(s) URL`, [
          `give base URLs separated by commas: ${ONLINE_SERVERS_VARIABLE}=http://gpu-1:8000/v1,http://gpu-2:8000/v1`,
        ]),
      );
  }
  return ok([...new Set(urls)]);
}

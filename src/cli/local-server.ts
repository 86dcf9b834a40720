/**
 * When a build may go without OPENAI_API_KEY: its server is a local one (vLLM, Ollama,
 * llama.cpp on this machine or the local network), which checks no key. Clients still send one,
 * so the connection carries a placeholder.
 */
import { isLocalUrl } from '../stages/online/services.ts';

interface RuleLike {
  config: unknown;
}

/**
 * OPENAI_BASE_URL is local, or every rule that talks to a server is an `online` rule whose
 * servers are all local: its `baseURL`, else PIPELINE_ONLINE_SERVERS (`fleet`), else its `servers`.
 */
export function keyNotNeeded(
  rules: Iterable<RuleLike>,
  baseURL: string | undefined,
  fleet?: readonly string[],
): boolean {
  if (baseURL && isLocalUrl(baseURL)) return true;
  let remote = 0;
  for (const { config } of rules) {
    const { kind, baseURL: own, servers } = config as { kind?: unknown; baseURL?: unknown; servers?: unknown };
    if (kind === 'batch') return false;
    if (kind !== 'online') continue;
    remote += 1;
    const listed = Array.isArray(servers)
      ? servers.map((s) => (s as { baseURL?: unknown } | null)?.baseURL)
      : undefined;
    const urls: readonly unknown[] = typeof own === 'string' ? [own] : (fleet ?? listed ?? []);
    if (urls.length === 0 || !urls.every((u) => typeof u === 'string' && isLocalUrl(u))) return false;
  }
  return remote > 0;
}

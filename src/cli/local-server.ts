/**
 * When a build may go without OPENAI_API_KEY: its server is a local one (vLLM, Ollama,
 * llama.cpp on this machine or the local network), which checks no key. Clients still send one,
 * so the connection carries a placeholder.
 */
import { isLocalUrl } from '../stages/online/services.ts';

interface RuleLike {
  config: unknown;
}

/** OPENAI_BASE_URL is local, or every rule that talks to a server is an `online` rule with a local `baseURL`. */
export function keyNotNeeded(rules: Iterable<RuleLike>, baseURL: string | undefined): boolean {
  if (baseURL && isLocalUrl(baseURL)) return true;
  let remote = 0;
  for (const { config } of rules) {
    const { kind, baseURL: own } = config as { kind?: unknown; baseURL?: unknown };
    if (kind === 'batch') return false;
    if (kind !== 'online') continue;
    remote += 1;
    if (typeof own !== 'string' || !isLocalUrl(own)) return false;
  }
  return remote > 0;
}

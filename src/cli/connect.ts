/**
 * Where Batch API calls go: OpenAI (or a compatible server) through the SDK's own environment
 * variables, or, with `--offline`, the built-in emulator started in this process on a loopback
 * port with its state under the pipeline root (so later runs see the batches of earlier ones).
 * The API key is never printed or written anywhere.
 */
import path from 'node:path';
import { err, ok, type Result } from '../util/result.ts';
import { UsageError } from './project.ts';
import { keyNotNeeded } from './local-server.ts';
import { NO_KEY } from '../stages/online/services.ts';

export interface Connection {
  apiKey: string;
  /** Undefined: the SDK's default (OPENAI_BASE_URL or api.openai.com). */
  baseURL?: string;
  offline: boolean;
  /** One line telling the user where requests go. */
  description?: string;
  close(): Promise<void>;
}

export const MISSING_KEY_MESSAGE = 'Error: OPENAI_API_KEY environment variable is not set';

/** What `connect` needs of a loaded project. */
export interface ProjectPlace {
  root: string;
  stateDir: string;
  rules: ReadonlyMap<string, { config: unknown }>;
}

/** Models the project's rules name: the offline emulator answers them even if it does not know them (new or fine-tuned models). */
function modelsOf(project: ProjectPlace): string[] {
  const models = new Set<string>();
  for (const { config } of project.rules.values()) {
    const model = (config as { model?: unknown }).model;
    if (typeof model === 'string' && model) models.add(model);
  }
  return [...models];
}

export async function connect(
  project: ProjectPlace,
  offline: boolean,
  env: NodeJS.ProcessEnv,
): Promise<Result<Connection, UsageError>> {
  const opts = { offline, root: project.root, stateDir: project.stateDir, env, models: modelsOf(project) };
  if (opts.offline) {
    const { startEmulator } = await import('../emulator/index.ts');
    const stateDir = path.join(opts.root, opts.stateDir, 'emulator');
    const speed = Number(opts.env.PIPELINE_EMULATOR_SPEED ?? '1');
    const emulator = await startEmulator({
      stateDir,
      port: 0,
      speed: Number.isFinite(speed) && speed > 0 ? speed : 1,
      extraModels: opts.models,
    });
    return ok({
      apiKey: 'offline-emulator',
      baseURL: emulator.url,
      offline: true,
      description: `offline: using the built-in Batch API emulator (no OpenAI calls, nothing billed; state in ${path.relative(process.cwd(), stateDir) || stateDir})`,
      close: () => emulator.close(),
    });
  }
  const apiKey = opts.env.OPENAI_API_KEY?.trim();
  const localBase = opts.env.OPENAI_BASE_URL?.trim() || undefined;
  if (!apiKey && keyNotNeeded(project.rules.values(), localBase)) {
    // A local server (vLLM, Ollama, llama.cpp) checks no key; the SDK still wants one.
    return ok({
      apiKey: NO_KEY,
      ...(localBase ? { baseURL: localBase } : {}),
      offline: false,
      description: `no OPENAI_API_KEY: sending to the local server${localBase ? ` at ${localBase}` : 's named by the online rules'} without a key`,
      close: () => Promise.resolve(),
    });
  }
  if (!apiKey) {
    return err(
      new UsageError(MISSING_KEY_MESSAGE, [
        'export OPENAI_API_KEY="your-api-key" to use OpenAI (or OPENAI_BASE_URL for a compatible server),',
        'or add --offline to run against the built-in Batch API emulator (free, nothing leaves this machine).',
      ]),
    );
  }
  const baseURL = opts.env.OPENAI_BASE_URL?.trim() || undefined;
  return ok({ apiKey, ...(baseURL ? { baseURL } : {}), offline: false, close: () => Promise.resolve() });
}

/**
 * OpenAI's Batch API (docs/openai-batch-api.md): the default provider. OPENAI_BASE_URL points it
 * at another server with the same API (a proxy, the emulator); OPENAI_ORG_ID and
 * OPENAI_PROJECT_ID go with every call when set.
 */
import { keyedEndpoint } from './shared/env.ts';
import { openAiAccount, openAiFamily } from './shared/openai-family.ts';

const VARS = {
  key: 'OPENAI_API_KEY',
  baseURL: 'OPENAI_BASE_URL',
  purpose: 'to use OpenAI (or OPENAI_BASE_URL for a compatible server)',
};

export const openai = openAiFamily({
  name: 'openai',
  title: 'OpenAI Batch API',
  // A rule may point at another server with OpenAI's API (as OPENAI_BASE_URL does for all).
  traits: { ruleBaseURL: true },
  key: VARS.key,
  baseURLVariable: VARS.baseURL,
  purpose: VARS.purpose,
  hint: 'OPENAI_API_KEY (OPENAI_BASE_URL for another server; OPENAI_ORG_ID, OPENAI_PROJECT_ID)',
  others: ['OPENAI_ORG_ID', 'OPENAI_PROJECT_ID'],
  endpoint: (use, env) => {
    const found = keyedEndpoint('openai', VARS, use, env);
    const settings = openAiAccount(env);
    return found.ok && settings ? { ok: true, value: { ...found.value, settings } } : found;
  },
});

/**
 * xAI's batch API through its OpenAI-compatible `/v1/files` and `/v1/batches` (providers.md D,
 * K; documented by secondary sources only). Not documented, and so left at OpenAI's values rather
 * than invented: per-file request and byte caps, the completion windows it accepts (24 h is asked
 * for; batches finish "typically within 24 hours"), whether metadata is kept (assumed, as on the
 * OpenAI API it mirrors; a lost create is otherwise only re-created after the adoption window),
 * and its batch discount ("reduced pricing"). Image and video result URLs expire after an hour.
 */
import { openAiFamily } from './shared/openai-family.ts';

export const xai = openAiFamily({
  name: 'xai',
  title: 'xAI Batch API (OpenAI-compatible)',
  key: 'XAI_API_KEY',
  baseURLVariable: 'XAI_BASE_URL',
  defaultBaseURL: 'https://api.x.ai/v1',
  purpose: "to use xAI's batch API",
  hint: 'XAI_API_KEY (XAI_BASE_URL for another server)',
});

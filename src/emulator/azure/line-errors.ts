/** Azure's names for two validation errors the OpenAI side words its own way (providers.md B.5). */
import type { BatchErrorEntry } from '../openai/types.ts';

export function azureLineError(e: BatchErrorEntry): BatchErrorEntry {
  if (e.code === 'model_not_found')
    return {
      ...e,
      // The OpenAI wording names the model in backquotes: "The model `x` does not exist…".
      message: `The model deployment '${/`([^`]*)`/.exec(e.message)?.[1] ?? ''}' specified in the model property of the input file was not found. Use the name of a Global Batch or Data Zone Batch deployment of this resource.`,
    };
  if (e.code === 'mismatched_model')
    return {
      ...e,
      code: 'model_mismatch',
      message: 'Every request of a batch must use the same model deployment as the first request of the file.',
    };
  return e;
}

/** Azure's names for two validation errors the OpenAI side words its own way (providers.md B.5). */
import type { BatchErrorEntry } from '../types.ts';

export function azureLineError(e: BatchErrorEntry, deployment: (line: number | null) => string): BatchErrorEntry {
  if (e.code === 'model_not_found')
    return {
      ...e,
      message: `The model deployment '${deployment(e.line)}' specified in the model property of the input file was not found. Use the name of a Global Batch or Data Zone Batch deployment of this resource.`,
    };
  if (e.code === 'mismatched_model')
    return {
      ...e,
      code: 'model_mismatch',
      message: 'Every request of a batch must use the same model deployment as the first request of the file.',
    };
  return e;
}

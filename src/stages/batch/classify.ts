/** Reading a failed batch's batch-level errors (the per-line format is read by ../result-line.ts). */
/** The batch failed because the model's enqueued-token limit was reached: not the input's fault. */
export function isTokenLimitFailure(
  errors: readonly { code?: string | undefined; message?: string | undefined }[],
): boolean {
  return errors.some((e) => e.code === 'token_limit_exceeded' || /enqueued token limit/i.test(e.message ?? ''));
}

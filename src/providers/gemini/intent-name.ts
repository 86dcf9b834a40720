/**
 * Gemini keeps no batch metadata and takes no idempotency key: the intent is kept in the batch's
 * `displayName` (required, kept as given), so a create whose answer was lost is found by it in the
 * list, its metadata read back from the name.
 */

/** Our intent and part, in the name Gemini keeps (it keeps no metadata). */
export function intentName(metadata: Record<string, string>): string {
  const target = (metadata.pipeline_target ?? '').slice(-120);
  return `llmake ${metadata.pipeline_intent ?? ''} ${metadata.pipeline_part ?? ''} ${metadata.pipeline_sha256 ?? ''} ${target}`.trim();
}

export function metadataOf(displayName: unknown): Record<string, string> {
  const m = typeof displayName === 'string' ? /^llmake (\S+) (\S+) (\S+) ?(.*)$/.exec(displayName) : null;
  return m ? { pipeline_intent: m[1]!, pipeline_part: m[2]!, pipeline_sha256: m[3]!, pipeline_target: m[4] ?? '' } : {};
}

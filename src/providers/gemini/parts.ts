/** The text of a Gemini `Content` (a prompt's turn, a reply's candidate): its parts' texts joined. */
import { isRecord } from '../../util/is-record.ts';

export function partsText(content: Record<string, unknown>): string | undefined {
  if (!Array.isArray(content.parts)) return undefined;
  const texts = (content.parts as unknown[])
    .filter(isRecord)
    .flatMap((p) => (typeof p.text === 'string' ? [p.text] : []));
  return texts.length > 0 ? texts.join('') : undefined;
}

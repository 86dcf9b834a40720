/**
 * Billed input tokens per token we count. OpenAI's models are counted with their own tokenizer
 * (ratio 1, nothing to learn). Claude's and Gemini's tokenizers are not public, and a model we do
 * not know may count any way: their counts are corrected by the ratio their billed requests show
 * (the spend log), as the output ratio is learned. Until some are billed the ratio is 1, and a
 * budget counts their input with a margin.
 */
export interface InputBasis {
  model: string;
  ratio: number;
  /** Billed requests the ratio was learned from; 0: not learned yet (or not needed). */
  answered: number;
  /** Counted with the model's own tokenizer: the count is what is billed. */
  exact: boolean;
}

/** Worst-case input per counted token for a model we cannot count exactly: until learned, and once learned. */
export const UNLEARNED_INPUT_MARGIN = 1.5;
export const LEARNED_INPUT_MARGIN = 1.1;

export function inputBasis(
  model: string,
  exact: boolean,
  observed: { requests: number; counted: number; billed: number },
): InputBasis {
  if (exact || observed.requests === 0 || observed.counted === 0) return { model, ratio: 1, answered: 0, exact };
  return { model, ratio: observed.billed / observed.counted, answered: observed.requests, exact };
}

/** What a budget counts per counted input token: the ratio, with a margin where the count is not the provider's. */
export function worstInputFactor(b: InputBasis): number {
  if (b.exact) return 1;
  return b.answered > 0 ? b.ratio * LEARNED_INPUT_MARGIN : UNLEARNED_INPUT_MARGIN;
}

/** Why a model's input estimate is what it is; undefined for models counted exactly. */
export function describeInputBasis(b: InputBasis): string | undefined {
  if (b.exact) return undefined;
  return b.answered > 0
    ? `${b.model}: input counted with OpenAI's tokenizer × ${b.ratio.toFixed(2)}, learned from ${b.answered.toLocaleString('en-US')} billed request${b.answered > 1 ? 's' : ''} (its tokenizer is not public)`
    : `${b.model}: input counted with OpenAI's tokenizer, not yet corrected by a billed request (its tokenizer is not public); a budget counts it × ${UNLEARNED_INPUT_MARGIN}`;
}

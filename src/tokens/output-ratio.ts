/**
 * Output tokens per input token, for estimates: before any result of a rule is in, the configured
 * ratio (`outputTokenRatio`); once some are, the ratio its answered requests were billed for, per
 * model — a model that writes long replies shows it after a few subjects, not after the bill.
 */
export interface OutputBasis {
  rule: string;
  model: string;
  ratio: number;
  /** Answered requests the ratio was learned from; 0 when it is the configured one. */
  answered: number;
}

export function outputBasis(
  rule: string,
  model: string,
  observed: { requests: number; input: number; output: number },
  configured: number,
): OutputBasis {
  if (observed.requests === 0 || observed.input === 0) return { rule, model, ratio: configured, answered: 0 };
  return { rule, model, ratio: observed.output / observed.input, answered: observed.requests };
}

/** "estimated from 1,204 answered requests (0.83 output tokens per input token)". */
export function describeBasis(b: OutputBasis): string {
  const ratio = `${b.ratio.toFixed(2)} output tokens per input token`;
  return b.answered > 0
    ? `${b.rule} (${b.model}): output estimated from ${b.answered.toLocaleString('en-US')} answered request${b.answered > 1 ? 's' : ''} (${ratio})`
    : `${b.rule} (${b.model}): output at the configured ${ratio} (no answers yet)`;
}

/**
 * What the dry run expects re-asks to add: with an invalid rate r seen so far, each request sent
 * brings r re-asks, which bring r² more, … up to the cap. 0 on a fresh job (no reply seen yet).
 */
export function expectedReasks(
  invalid: Readonly<Record<string, unknown>> | undefined,
  answered: number,
  maxInvalidAttempts: number,
): number {
  const seen = Object.keys(invalid ?? {}).length;
  if (answered === 0 || seen === 0) return 0;
  const rate = Math.min(1, seen / answered);
  let total = 0;
  for (let k = 1; k <= maxInvalidAttempts; k++) total += rate ** k;
  return total;
}

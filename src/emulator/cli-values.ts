/** Reading `pipeline emulator` flag values: a bad one is a FlagError that names the flag and what it takes. */
export class FlagError extends Error {}

export function num(
  values: Record<string, unknown>,
  name: string,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new FlagError(`--${name} must be ${what}, got '${typeof raw === 'string' ? raw : JSON.stringify(raw)}'`);
  return n;
}

export const positiveInt = (values: Record<string, unknown>, name: string): number | undefined =>
  num(values, name, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

export const rate = (n: number) => n >= 0 && n <= 1;

/**
 * A number valid for a JSON Schema's numeric keywords: `minimum`/`maximum`,
 * `exclusiveMinimum`/`exclusiveMaximum` (the numeric form, and draft 4's boolean one), `multipleOf`
 * and `integer`. Drawn by `u` (uniform in [0, 1)) so the same request gets the same number.
 */
type NumberSchema = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The tightest lower and upper bounds, each with whether it is exclusive. */
function bounds(schema: NumberSchema): { lo: number; loOpen: boolean; hi: number; hiOpen: boolean } {
  let lo = num(schema.minimum);
  let hi = num(schema.maximum);
  let loOpen = schema.exclusiveMinimum === true;
  let hiOpen = schema.exclusiveMaximum === true;
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  if (exMin !== undefined && (lo === undefined || exMin >= lo)) [lo, loOpen] = [exMin, true];
  if (exMax !== undefined && (hi === undefined || exMax <= hi)) [hi, hiOpen] = [exMax, true];
  // Unbounded sides: a span of 100 from the other bound, or 0–100 (as a model would pick).
  if (lo === undefined && hi === undefined) [lo, hi] = [0, 100];
  else if (lo === undefined) lo = (hi as number) - 100;
  else if (hi === undefined) hi = lo + 100;
  return { lo, loOpen, hi: hi as number, hiOpen };
}

/** Decimal places of `x` as written (0.25 → 2, 1e-7 → 7). */
function decimals(x: number): number {
  const [mantissa = '', exponent] = x.toExponential().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

const inside = (x: number, b: ReturnType<typeof bounds>): boolean =>
  (b.loOpen ? x > b.lo : x >= b.lo) && (b.hiOpen ? x < b.hi : x <= b.hi);

/**
 * A multiple of `step` inside the bounds whose quotient by `step` is exact in floating point (a
 * validator divides: 0.3 / 0.1 is not an integer, 0.2 / 0.1 is).
 */
function multipleInside(step: number, b: ReturnType<typeof bounds>, u: number): number | undefined {
  const first = Math.ceil(b.lo / step);
  const last = Math.floor(b.hi / step);
  if (last < first) return undefined;
  const places = decimals(step);
  const start = first + Math.floor(u * (last - first + 1));
  for (let k = start, tries = 0; tries <= last - first && tries < 1000; tries++) {
    const x = Number((k * step).toFixed(Math.min(places, 100)));
    if (inside(x, b) && Number.isInteger(x / step)) return x;
    k = k >= last ? first : k + 1;
  }
  return undefined;
}

/** The smallest multiple of `m` that is an integer (for `integer` with a fractional `multipleOf`). */
function integerStep(m: number): number {
  for (let k = 1; k <= 1000; k++) if (Number.isInteger(Number((k * m).toFixed(12)))) return Math.round(k * m);
  return 1;
}

/** A number valid for `schema` (`integer` when asked), fixed by `u`. */
export function numberFor(schema: NumberSchema, integer: boolean, u: number): number {
  const b = bounds(schema);
  const m = num(schema.multipleOf);
  const step = m !== undefined && m > 0 ? (integer ? integerStep(m) : m) : integer ? 1 : undefined;
  if (step !== undefined) return multipleInside(step, b, u) ?? b.lo;
  // Two decimals read like a model's number; when rounding leaves the bounds, the exact draw stays.
  const x = b.lo + u * (b.hi - b.lo);
  const rounded = Math.round(x * 100) / 100;
  if (inside(rounded, b)) return rounded;
  return inside(x, b) ? x : (b.lo + b.hi) / 2;
}

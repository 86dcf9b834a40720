/**
 * Durations as OpenAI writes them in `x-ratelimit-reset-*` headers and rate-limit messages: Go's
 * `time.Duration` notation (`0s`, `120ms`, `1s`, `8.64s`, `6m0s`, `1h2m3s`), at millisecond precision.
 */

/** Formats `ms` (rounded up to a whole millisecond, so a wait is never shown shorter than it is). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  // Go drops trailing zeros of the fraction: 8.640 s → "8.64s".
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

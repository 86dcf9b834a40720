/** A completion window as rules write it (`24h`, `7d`) in hours, as providers that take hours want it. */
export function windowHours(window: string): number {
  const n = Number(window.slice(0, -1));
  return window.endsWith('d') ? n * 24 : n;
}

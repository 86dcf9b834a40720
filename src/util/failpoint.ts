/**
 * Failpoints for crash tests: `PIPELINE_FAILPOINT=after-create` (a comma-separated list) makes
 * the process SIGKILL itself when it reaches that point, exactly as a power cut or `kill -9`
 * would, so tests prove that a re-run recovers from a crash at each step of the protocol.
 * Unset (always, outside tests) it does nothing.
 */
export function failpoint(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const wanted = env.PIPELINE_FAILPOINT;
  if (!wanted || !wanted.split(',').includes(name)) return false;
  process.kill(process.pid, 'SIGKILL');
  return true;
}

/** `pipeline view` in a subprocess, as a user runs it: started, its address read, stopped by its pid. */
import type { CliResult, Rig } from '../helpers/rig.ts';

export interface ViewProcess {
  url: string;
  /** SIGTERM, then the CLI's result (its exit code and output). */
  stop(): Promise<CliResult>;
}

export async function startViewCli(rig: Rig, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ViewProcess> {
  const run = rig.cli(['view', '--port', '0', ...args], { env });
  const child = run.child;
  let seen = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pipeline view did not start within 30 s; output so far:\n${seen}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      const match = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (seen += d.toString()));
    void run.then((r) => {
      clearTimeout(timer);
      reject(new Error(`pipeline view exited with ${r.code}:\n${r.stdout}\n${r.stderr}`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      return run;
    },
  };
}

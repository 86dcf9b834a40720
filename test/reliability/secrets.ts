/**
 * Secrets and exposure: a build (with failures and faults, so error paths run too) with a
 * distinctive fake key; then every file under the temp dir (pipeline root, state, cache,
 * emulator state) and everything printed is searched for the key; files written must not be
 * world-writable; the emulator must not answer on any non-loopback address.
 */
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { emulatorFor, envFor, FAKE_KEY, makeJob, ROOT, runCliKillable } from './lib.ts';

export interface SecretsOutcome {
  filesSearched: number;
  leaks: string[];
  worldWritable: string[];
  exposedOn: string[];
  printed: number;
}

export async function secretsCheck(): Promise<SecretsOutcome> {
  const job = await makeJob({ subjects: 2, records: 4 }, 'pipeline-rel-secrets-');
  const emu = await emulatorFor(job, {
    speed: 200,
    faults: { http: [{ status: 500, rate: 0.2 }], requestErrors: { customIds4xx: [] } },
  });
  const printed: string[] = [];
  try {
    const env = envFor(emu, { PIPELINE_API_TIMEOUT_MS: '5000' });
    await writeFile(job.rig.path(`${ROOT}/original/zz_bad.jsonl`), '{"question_number": 1, "analysis": \n');
    for (let i = 0; i < 12; i++) {
      const r = await runCliKillable(['build'], job.rig.dir, env);
      printed.push(r.stdout, r.stderr);
      if (r.code !== 75 && !/\bpending\b/.test(r.stdout)) break;
    }
    for (const args of [['status'], ['status', '--json'], ['build', '--dry-run'], ['cancel'], ['graph']]) {
      const r = await runCliKillable(args, job.rig.dir, env);
      printed.push(r.stdout, r.stderr);
    }
    // An unreachable server: the connection error must not carry the key either.
    const down = await runCliKillable(['build', '--force'], job.rig.dir, {
      ...env,
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      PIPELINE_API_TIMEOUT_MS: '500',
    });
    printed.push(down.stdout, down.stderr);
    const leaks: string[] = [];
    const worldWritable: string[] = [];
    let filesSearched = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const name of await readdir(dir)) {
        const file = path.join(dir, name);
        const st = await lstat(file);
        if (st.mode & 0o002 && !st.isSymbolicLink()) worldWritable.push(path.relative(job.rig.dir, file));
        if (st.isDirectory()) await walk(file);
        else if (st.isFile()) {
          filesSearched += 1;
          const bytes = await readFile(file);
          if (bytes.includes(FAKE_KEY) || bytes.includes(Buffer.from(FAKE_KEY).toString('base64')))
            leaks.push(path.relative(job.rig.dir, file));
        }
      }
    };
    await walk(job.rig.dir);
    printed.forEach((p, i) => p.includes(FAKE_KEY) && leaks.push(`output #${i}`));
    return {
      filesSearched,
      leaks,
      worldWritable,
      exposedOn: await exposedAddresses(emu.port),
      printed: printed.join('').length,
    };
  } finally {
    await emu.close();
    await job.dispose();
  }
}

/** Non-loopback addresses of this machine on which `port` accepts a connection (should be none). */
export async function exposedAddresses(port: number): Promise<string[]> {
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal)
    .map((a) => a!.address);
  const open: string[] = [];
  for (const address of addresses) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: address, port, timeout: 1000 });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
    });
    if (accepted) open.push(address);
  }
  return open;
}

import { readdirSync, readFileSync } from 'node:fs';

/** The postmaster of the cluster in `dataDir` (first line of `postmaster.pid`) and its children (backends, background workers). */
function postgresProcessIds(dataDir: string): number[] {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`no postmaster pid in ${dataDir}`);
  const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === postmaster ? [Number(name)] : [];
    } catch {
      return []; // exited meanwhile
    }
  });
  return [postmaster, ...children];
}

/**
 * Freezes the PostgreSQL server of `dataDir` (SIGSTOP to the postmaster first, so it forks no
 * more backends, then to every child): connections stay open and the kernel still accepts new
 * ones, but nothing answers, as with a paused VM or a server cut off behind a stateful firewall.
 * Needs permission to signal the server's processes (root, or the same user).
 *
 * @returns `thaw()`, which sends SIGCONT to every frozen process
 */
export function freezePostgres(dataDir: string): () => void {
  const frozen = new Set<number>();
  const signal = (pid: number, name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // the process exited
    }
  };
  for (let pass = 0; pass < 2; pass += 1) {
    for (const pid of postgresProcessIds(dataDir)) {
      if (frozen.has(pid)) continue;
      signal(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  }
  return () => {
    for (const pid of frozen) signal(pid, 'SIGCONT');
  };
}

/**
 * Peak memory of chosen processes and everything they start, from Linux's /proc: each process's
 * own high-water mark (VmHWM, exact, read while it lives) and the largest sum of the tree's
 * current RSS (VmRSS) seen by sampling. Only the processes given and their descendants count, so a
 * sandbox or the bench itself stays out of the figure.
 */
import { readdirSync, readFileSync } from 'node:fs';

const MB = 1024;

/** `VmRSS` and `VmHWM` of one process in kB, or null once it is gone. */
function statusOf(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in clock ticks (1/100 s on Linux), or null once it is gone. */
export function cpuTicksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Every live process whose ancestry includes one of `roots` (the roots included). */
function treeOf(roots: ReadonlySet<number>): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return [...parentOf.keys()].filter((pid) => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf.get(p)) if (roots.has(p)) return true;
    return false;
  });
}

export interface MemoryPeak {
  /** Largest VmHWM of any one process of the tree, MB. */
  largestProcessMb: number;
  /** Largest sum of VmRSS over the tree at one sample, MB. */
  treeMb: number;
  samples: number;
  /**
   * CPU seconds (user + system) the tree used, as last sampled for each process (so up to one
   * interval short at its end). Unlike wall time it hardly depends on what else runs on the host.
   */
  cpuSeconds: number;
}

export interface MemorySampler {
  /** Adds a process (and, from now on, its descendants). */
  track(pid: number | undefined): void;
  /** Stops sampling and returns the peaks so far. */
  stop(): MemoryPeak;
  /** The peaks so far (sampling goes on). */
  peak(): MemoryPeak;
}

/** Samples every `intervalMs` until `stop()`. */
export function sampleMemory(intervalMs = 200): MemorySampler {
  const roots = new Set<number>();
  let largestKb = 0;
  let treeKb = 0;
  let samples = 0;
  const cpuTicks = new Map<number, number>();
  const sample = () => {
    if (roots.size === 0) return;
    let sum = 0;
    for (const pid of treeOf(roots)) {
      const status = statusOf(pid);
      if (!status) continue;
      sum += status.rssKb;
      largestKb = Math.max(largestKb, status.hwmKb);
      const ticks = cpuTicksOf(pid);
      if (ticks !== null) cpuTicks.set(pid, ticks);
    }
    treeKb = Math.max(treeKb, sum);
    samples += 1;
  };
  const timer = setInterval(sample, intervalMs);
  const peak = (): MemoryPeak => ({
    largestProcessMb: Math.round(largestKb / MB),
    treeMb: Math.round(treeKb / MB),
    samples,
    cpuSeconds: Math.round([...cpuTicks.values()].reduce((a, b) => a + b, 0)) / 100,
  });
  return {
    track(pid) {
      if (pid !== undefined) roots.add(pid);
      sample();
    },
    peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak();
    },
  };
}

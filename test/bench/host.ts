/**
 * The host a benchmark ran on, so figures from different machines (or a busy and a quiet hour on
 * one) can be compared: load average, cores, and a fixed loop and allocation burst timed in CPU ms
 * (a quiet modern core does these in roughly 70-100 ms and 60-100 ms).
 */
import os from 'node:os';

function cpuMsOf(work: () => unknown): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / 1000);
}

/** The fixed-loop calibration every bench prints beside its figures. */
export function hostCalibration(): { loop2e8CpuMs: number; alloc1e6CpuMs: number } {
  return {
    loop2e8CpuMs: cpuMsOf(() => {
      let x = 0;
      for (let i = 0; i < 2e8; i++) x += i & 7;
      return x;
    }),
    alloc1e6CpuMs: cpuMsOf(() => {
      const a: unknown[] = [];
      for (let i = 0; i < 1e6; i++) a.push({ i, s: `x${i}`, o: { a: i } });
      return a.length;
    }),
  };
}

/** 1, 5 and 15-minute load averages, one decimal. */
export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 10) / 10);
}

/**
 * The host a figure was taken on: a fixed CPU loop and a fixed allocation burst (the same ones
 * engine.ts has always printed), the load average and the machine, so figures from different hosts
 * or from a busy machine can be told apart. Every bench run by `npm run bench` gets one beside its
 * result; the fast-path benches put one in their own JSON line.
 */
import os from 'node:os';

export interface HostCalibration {
  /** CPU ms of a fixed 2e8-step loop: ~70-100 on a quiet modern core. */
  loop2e8CpuMs: number;
  /** CPU ms of allocating a million small objects: ~60-100 on a quiet modern core. */
  alloc1e6CpuMs: number;
  /** 1, 5 and 15 minute load averages when it was taken. */
  loadAverage: number[];
  cpus: number;
  cpuModel: string;
  node: string;
  at: string;
}

const round = (x: number) => Math.round(x * 10) / 10;

function cpuMsOf(fn: () => unknown): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return round((used.user + used.system) / 1000);
}

export function calibrateHost(): HostCalibration {
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
    loadAverage: os.loadavg().map(round),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    at: new Date().toISOString(),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? ''))
  console.log(JSON.stringify({ bench: 'host', ...calibrateHost() }));

/** The fixed-loop part of {@link calibrateHost} (benches that print load and calibration apart). */
export function hostCalibration(): { loop2e8CpuMs: number; alloc1e6CpuMs: number } {
  const { loop2e8CpuMs, alloc1e6CpuMs } = calibrateHost();
  return { loop2e8CpuMs, alloc1e6CpuMs };
}

/** 1, 5 and 15-minute load averages, one decimal. */
export function loadAverage(): number[] {
  return os.loadavg().map(round);
}

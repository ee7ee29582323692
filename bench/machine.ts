import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuTimes(): { total: number; steal: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: line.reduce((a, b) => a + b, 0), steal: line[7] ?? 0, idle: (line[3] ?? 0) + (line[4] ?? 0) };
}

/** Starts counting; the returned function gives steal and busy percentages since then. */
export function stealSampler(): () => { stealPct: number; busyPct: number } {
  const start = cpuTimes();
  return () => {
    const end = cpuTimes();
    const total = end.total - start.total || 1;
    return { stealPct: (100 * (end.steal - start.steal)) / total, busyPct: (100 * (total - (end.idle - start.idle))) / total };
  };
}

export function machineDescription(load: { stealPct: number; busyPct: number }): string {
  const cpus = os.cpus();
  return (
    `${cpus[0]?.model ?? 'unknown cpu'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `Linux ${os.release()}, Node ${process.version}; during the run: CPU ${load.busyPct.toFixed(0)} % busy, ` +
    `steal ${load.stealPct.toFixed(1)} %, load average ${os.loadavg()[0]!.toFixed(1)}`
  );
}

/** Medians, ratios to the paired direct runs, the stdout table and the JSON shape of issue 8. */
import type { ScenarioName } from './scenario.js';

export interface RoundFigures {
  up: number;
  down: number;
  /** Both directions together: bytes moved / time taken. */
  mbps: number;
  cpu: Record<string, number>;
  rtt: { p50: number; p99: number };
  tunnelsPerS: number;
  delayed: number;
  neighbour: number;
}

export interface ScenarioFigures {
  rounds: RoundFigures[];
  /** The direct-TCP run made right before each round of this scenario. */
  pairedDirect: RoundFigures[];
  idle?: { kb: number; count: number };
}

export interface Report {
  date: string;
  machine: string;
  rounds: number;
  sizes: Readonly<Record<keyof never, number>> | object;
  figures: Map<ScenarioName, ScenarioFigures>;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median, min and max of a per-round figure divided by the same round's direct figure. */
function ratio(f: ScenarioFigures, pick: (r: RoundFigures) => number): { median: number; min: number; max: number } {
  const ratios = f.rounds.map((r, i) => pick(r) / pick(f.pairedDirect[i] ?? r));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

function cpuMedians(f: ScenarioFigures): Record<string, number> {
  const names = Object.keys(f.rounds[0]?.cpu ?? {});
  return Object.fromEntries(names.map((n) => [n, median(f.rounds.map((r) => r.cpu[n] ?? NaN))]));
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

export function toJson(report: Report): Record<string, unknown> {
  const scenarios: Record<string, unknown> = {};
  for (const [name, f] of report.figures) {
    const isDirect = name === 'direct';
    scenarios[name] = {
      mbps: round(median(f.rounds.map((r) => r.mbps)), 1),
      ratio_to_direct: isDirect ? 1 : round(ratio(f, (r) => r.mbps).median, 3),
      cpu_s_per_gib: Object.fromEntries(Object.entries(cpuMedians(f)).map(([k, v]) => [k, round(v)])),
      rtt_us: { p50: round(median(f.rounds.map((r) => r.rtt.p50)), 0), p99: round(median(f.rounds.map((r) => r.rtt.p99)), 0) },
      tunnels_per_s: round(median(f.rounds.map((r) => r.tunnelsPerS)), 0),
      kb_per_idle_tunnel: f.idle ? round(f.idle.kb, 1) : null,
      mbps_20ms_rtt: round(median(f.rounds.map((r) => r.delayed)), 1),
      neighbour_ratio: round(median(f.rounds.map((r) => r.neighbour)), 3),
    };
  }
  return { date: report.date, machine: report.machine, rounds: report.rounds, scenarios };
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

export function renderTable(report: Report): string {
  const lines: string[] = [];
  lines.push(`date: ${report.date}`, `machine: ${report.machine}`, `rounds: ${report.rounds} (medians; ratios to the direct run right before, min–max in brackets)`);
  lines.push(`sizes: ${Object.entries(report.sizes as Record<string, number>).map(([k, v]) => `${k}=${v}`).join(' ')}`, '');
  lines.push(
    '| scenario | MB/s up / down | × direct | CPU-s/GiB per process | RTT p50 / p99 µs (× direct) | tunnels/s (× direct) | server KiB per idle tunnel | 20 ms RTT MB/s (× direct) | beside 10 stalled |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const [name, f] of report.figures) {
    const isDirect = name === 'direct';
    const up = median(f.rounds.map((r) => r.up));
    const down = median(f.rounds.map((r) => r.down));
    const bulkRatio = ratio(f, (r) => r.mbps);
    const p50 = ratio(f, (r) => r.rtt.p50);
    const p99 = ratio(f, (r) => r.rtt.p99);
    const rate = ratio(f, (r) => r.tunnelsPerS);
    const delayed = ratio(f, (r) => r.delayed);
    const cpu = Object.entries(cpuMedians(f))
      .map(([k, v]) => `${k} ${fmt(v, 2)}`)
      .join(', ');
    const x = (r: { median: number }): string => (isDirect ? '' : ` (${fmt(r.median, 2)}×)`);
    lines.push(
      `| ${name} | ${fmt(up)} / ${fmt(down)} | ${isDirect ? '1' : `${fmt(bulkRatio.median, 3)} [${fmt(bulkRatio.min, 3)}–${fmt(bulkRatio.max, 3)}]`} | ${cpu} | ` +
        `${fmt(median(f.rounds.map((r) => r.rtt.p50)))} / ${fmt(median(f.rounds.map((r) => r.rtt.p99)))}${isDirect ? '' : ` (${fmt(p50.median, 2)}× / ${fmt(p99.median, 2)}×)`} | ` +
        `${fmt(median(f.rounds.map((r) => r.tunnelsPerS)))}${x(rate)} | ${f.idle ? `${fmt(f.idle.kb, 1)} (at ${f.idle.count})` : '–'} | ` +
        `${fmt(median(f.rounds.map((r) => r.delayed)), 1)}${x(delayed)} | ${fmt(median(f.rounds.map((r) => r.neighbour)), 2)} |`,
    );
  }
  const cw = report.figures.get('causeway');
  const socat = report.figures.get('socat2hop');
  if (cw) {
    const check = (label: string, value: number, ok: boolean): string => `- ${ok ? 'met   ' : 'MISSED'} ${label}: ${fmt(value, 3)}`;
    const cwRatio = ratio(cw, (r) => r.mbps).median;
    lines.push('', 'targets for the causeway row:');
    if (socat) {
      const vsSocat = cwRatio / ratio(socat, (r) => r.mbps).median;
      lines.push(check('bulk ≥ 1.0 × socat 2-hop (ratio of ratios to direct)', vsSocat, vsSocat >= 1));
    }
    const serverCpu = cpuMedians(cw)['server'] ?? NaN;
    lines.push(check('server ≤ 2.0 CPU-s per GiB', serverCpu, serverCpu <= 2));
    const p50 = ratio(cw, (r) => r.rtt.p50).median;
    const p99 = ratio(cw, (r) => r.rtt.p99).median;
    lines.push(check('RTT p50 ≤ 2 × direct', p50, p50 <= 2), check('RTT p99 ≤ 4 × direct', p99, p99 <= 4));
    const rate = ratio(cw, (r) => r.tunnelsPerS).median;
    lines.push(check('new tunnels/s ≥ 0.5 × direct', rate, rate >= 0.5));
    if (cw.idle) lines.push(check('≤ 8 KB server memory per idle tunnel (KiB)', cw.idle.kb, cw.idle.kb <= 8));
    const delayed = ratio(cw, (r) => r.delayed).median;
    lines.push(check('20 ms RTT ≥ 0.8 × direct', delayed, delayed >= 0.8));
    const neighbour = median(cw.rounds.map((r) => r.neighbour));
    lines.push(check('beside 10 stalled ≥ 0.9 × solo', neighbour, neighbour >= 0.9));
  }
  return `${lines.join('\n')}\n`;
}

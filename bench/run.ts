/**
 * `npm run bench`: Causeway's data path side by side with direct TCP, ssh -L and a socat 2-hop mTLS
 * chain, on loopback, each scenario paired with a direct-TCP run right before it in every round.
 *
 *   --quick            smaller sizes; the whole run fits in 3 minutes
 *   --json FILE        also write the figures as JSON
 *   --rounds N         rounds (default 3; medians are reported)
 *   --only a,b         run only these scenarios (direct always runs as the baseline)
 *   --cpu-prof DIR     profile Causeway's three programs; .cpuprofile files are written to DIR on exit
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDebianPackages } from './debian.js';
import { download, neighbourRatio, openIdle, roundTrips, tunnelRate, upload, type Dial } from './load.js';
import { ownCpuSeconds, treeCpuSeconds, treeMemoryKb } from './procstat.js';
import { machineDescription, stealSampler } from './machine.js';
import { renderTable, toJson, type RoundFigures, type ScenarioFigures } from './report.js';
import { startHelper, type Scenario, type ScenarioName } from './scenario.js';
import { startCauseway } from './scenarios/causeway.js';
import { startDirect } from './scenarios/direct.js';
import { startSocat } from './scenarios/socat.js';
import { startSsh } from './scenarios/ssh.js';

interface Sizes {
  bulkBytes: number;
  roundTrips: number;
  tunnels: number;
  idle: number;
  delayedBytes: number;
  neighbourBytes: number;
}

const MIB = 1024 * 1024;
const FULL: Sizes = { bulkBytes: 1024 * MIB, roundTrips: 10_000, tunnels: 5_000, idle: 10_000, delayedBytes: 64 * MIB, neighbourBytes: 256 * MIB };
const QUICK: Sizes = { bulkBytes: 64 * MIB, roundTrips: 2_000, tunnels: 500, idle: 2_000, delayedBytes: 16 * MIB, neighbourBytes: 32 * MIB };
const IN_FLIGHT = 32;
const STALLED = 10;
/** Every measurement gives up after this long, so a broken scenario cannot hang the run. */
const STEP_TIMEOUT_MS = Number(process.env["BENCH_STEP_TIMEOUT_MS"] ?? 120_000);

function parseArgs(argv: string[]): { quick: boolean; json?: string; rounds: number; only?: ScenarioName[]; cpuProf?: string } {
  const out: ReturnType<typeof parseArgs> = { quick: false, rounds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') out.quick = true;
    else if (arg === '--json') out.json = resolve(value());
    else if (arg === '--rounds') out.rounds = Math.max(1, Math.min(20, Number(value())));
    else if (arg === '--only') out.only = value().split(',') as ScenarioName[];
    else if (arg === '--cpu-prof') out.cpuProf = resolve(value());
    else throw new Error(`unknown option ${arg} (see bench/run.ts)`);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bulk both ways, with CPU seconds per GiB of every counted process. */
async function bulk(scenario: Scenario, sizes: Sizes, targetPid: number): Promise<Pick<RoundFigures, 'up' | 'down' | 'mbps' | 'cpu'>> {
  // The load generator is the parent of every other process: count its own CPU only.
  const procs: Record<string, number> = { ...scenario.processes, sink: targetPid, source: process.pid };
  const cpuOf = (name: string, pid: number): number => (name === 'source' ? ownCpuSeconds(pid) : treeCpuSeconds(pid));
  const before = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuOf(k, pid)]));
  const up = await upload(scenario.dial, sizes.bulkBytes, STEP_TIMEOUT_MS);
  const down = await download(scenario.dial, sizes.bulkBytes, STEP_TIMEOUT_MS);
  const gib = (2 * sizes.bulkBytes) / (1024 * MIB);
  const cpu = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, (cpuOf(k, pid) - before[k]!) / gib]));
  const mbps = (2 * sizes.bulkBytes) / 1e6 / (sizes.bulkBytes / 1e6 / up + sizes.bulkBytes / 1e6 / down);
  return { up, down, mbps, cpu };
}

async function measure(scenario: Scenario, sizes: Sizes, targetPid: number): Promise<RoundFigures> {
  const b = await bulk(scenario, sizes, targetPid);
  const rtt = await roundTrips(scenario.dial, sizes.roundTrips, STEP_TIMEOUT_MS);
  const tunnelsPerS = await tunnelRate(scenario.dial, Math.min(sizes.tunnels, scenario.maxIdle ?? sizes.tunnels), IN_FLIGHT, STEP_TIMEOUT_MS);
  const delayed = await download(scenario.dialDelayed, sizes.delayedBytes, STEP_TIMEOUT_MS);
  const neighbour = await neighbourRatio(scenario.dial, sizes.neighbourBytes, STALLED, STEP_TIMEOUT_MS);
  return { ...b, rtt, tunnelsPerS, delayed, neighbour };
}

async function idleMemory(scenario: Scenario, count: number): Promise<{ kb: number; count: number } | undefined> {
  if (!scenario.server) return undefined;
  const n = Math.min(count, scenario.maxIdle ?? count);
  await sleep(500);
  const before = treeMemoryKb(scenario.server.pid, scenario.server.forks);
  const sockets = await openIdle(scenario.dial, n, STEP_TIMEOUT_MS * 2);
  await sleep(1000);
  const after = treeMemoryKb(scenario.server.pid, scenario.server.forks);
  for (const s of sockets) s.destroy();
  await sleep(1000);
  return { kb: (after - before) / n, count: n };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : FULL;
  const began = Date.now();
  ensureDebianPackages();
  const dir = mkdtempSync(join(tmpdir(), 'causeway-bench-'));
  const steal = stealSampler();
  const target = await startHelper('target', []);
  const targetPid = target.child.pid!;
  const wanted: ScenarioName[] = args.only ?? ['ssh', 'socat2hop', 'causeway'];
  const scenarios: Scenario[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      await Promise.all(scenarios.map((s) => s.stop().catch(() => undefined)));
      await target.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    })());
  // Ctrl-C or a kill must not leave sshd, socat or our programs running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    const direct = await startDirect(target.port);
    scenarios.push(direct);
    if (wanted.includes('ssh')) scenarios.push(await startSsh(join(dir, 'ssh'), target.port));
    if (wanted.includes('socat2hop')) scenarios.push(await startSocat(join(dir, 'socat'), target.port));
    if (wanted.includes('causeway')) scenarios.push(await startCauseway(join(dir, 'causeway'), target.port, args.cpuProf));

    const figures = new Map<ScenarioName, ScenarioFigures>(scenarios.map((s) => [s.name, { rounds: [], pairedDirect: [] }]));
    for (let round = 1; round <= args.rounds; round++) {
      for (const scenario of scenarios.slice(1)) {
        process.stderr.write(`bench: round ${round}/${args.rounds}: direct, then ${scenario.name}\n`);
        const baseline = await measure(direct, sizes, targetPid);
        figures.get('direct')!.rounds.push(baseline);
        const measured = await measure(scenario, sizes, targetPid);
        figures.get(scenario.name)!.rounds.push(measured);
        figures.get(scenario.name)!.pairedDirect.push(baseline);
      }
      if (scenarios.length === 1) figures.get('direct')!.rounds.push(await measure(direct, sizes, targetPid));
    }
    for (const scenario of scenarios.slice(1)) {
      process.stderr.write(`bench: ${scenario.name}: server memory with ${Math.min(sizes.idle, scenario.maxIdle ?? sizes.idle)} idle tunnels\n`);
      try {
        const idle = await idleMemory(scenario, sizes.idle);
        if (idle) figures.get(scenario.name)!.idle = idle;
      } catch (err) {
        process.stderr.write(`bench: ${scenario.name}: idle tunnels failed: ${(err as Error).message}\n`);
      }
    }
    const machine = machineDescription(steal());
    const report = { date: new Date().toISOString(), machine, rounds: args.rounds, sizes, figures };
    process.stdout.write(renderTable(report));
    process.stdout.write(`\nwhole run: ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(toJson(report), null, 2)}\n`);
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);

export type { Dial };

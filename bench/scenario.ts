/** What every benchmarked topology provides, and helpers to start its pieces. */
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Dial } from './load.js';

export type ScenarioName = 'direct' | 'ssh' | 'socat2hop' | 'causeway';

export interface Scenario {
  name: ScenarioName;
  /** A socket whose bytes reach the target through this scenario's path. */
  dial: Dial;
  /** The same path with the 20 ms round-trip delay line on its long-haul hop. */
  dialDelayed: Dial;
  /** Processes whose CPU is counted, by role; each is the root of a process tree. */
  processes: Record<string, number>;
  /** The process whose memory per idle tunnel is reported, and whether it forks per connection. */
  server?: { pid: number; forks: boolean };
  /** Most tunnels this scenario opens in one measurement (lower for tools that fork per connection). */
  maxIdle?: number;
  stop(): Promise<void>;
}

export const DELAY_MS = 10;
/** In-flight bytes the delay line allows each way: Linux's largest TCP send buffer (tcp_wmem max). */
export const DELAY_CAP_BYTES = 4 * 1024 * 1024;

export function benchScript(name: string): string {
  return fileURLToPath(new URL(`./${name}.js`, import.meta.url));
}

export interface Helper {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts one of the bench's own node helpers (target, delay-line) and reads the port it prints. */
export function startHelper(script: string, args: string[]): Promise<Helper> {
  const child = spawn(process.execPath, [benchScript(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, port: Number(line), stop: () => stopChild(child) });
    });
  });
}

export function startDelayLine(targetPort: number): Promise<Helper> {
  return startHelper('delay-line', [String(targetPort), String(DELAY_MS), String(DELAY_CAP_BYTES)]);
}

export function tcpDial(port: number): Dial {
  return () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
}

/** Resolves once something accepts TCP connections on the port (polling, bounded). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const s = await tcpDial(port)();
      s.destroy();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nothing listens on ${port}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A free loopback port (for tools that cannot report the port they bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { isSea } from 'node:sea';

/** The CLI entry point, for starting the programs as real child processes. */
export const CAUSEWAY_BIN = fileURLToPath(new URL('../../../bin/causeway.js', import.meta.url));

/**
 * Arguments to put before a command when running this CLI again with `process.execPath`: the entry
 * script under node, nothing in a single-file executable (which is the CLI itself).
 */
export function selfArgs(): string[] {
  return isSea() ? [] : [CAUSEWAY_BIN];
}

export interface LaunchedProgram {
  child: ChildProcess;
  /** The fields of the program's `ready` log line (ports and the like). */
  ready: Record<string, unknown>;
  /** Every JSON log line seen so far. */
  logs: Record<string, unknown>[];
  /** Every stdout line seen so far (the agent's audit records). */
  stdout: string[];
  /** Resolves with the first log line for which `match` is true (past or future). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `causeway <args>` and resolves once it logs its `ready` event, or rejects with its last log
 * lines if it exits first or takes longer than `timeoutMs`. Logs are copied to `logFile` when given.
 */
export function launch(args: string[], options: { logFile?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<LaunchedProgram> {
  const child = spawn(process.execPath, [...selfArgs(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  const logs: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  const raw: string[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  const file = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    file?.write(`${line}\n`);
    raw.push(line);
    if (raw.length > 50) raw.shift();
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      logs.push(parsed);
      if (logs.length > 10_000) logs.splice(0, 5_000);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    } catch {
      /* not a log line: kept in raw for error reports */
    }
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    if (stdout.length > 100_000) stdout.splice(0, 50_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line from causeway ${args[0]}`)), timeoutMs);
      waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`causeway ${args.join(' ')} did not become ready:\n${raw.join('\n')}`));
    }, options.timeoutMs ?? 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`causeway ${args.join(' ')} exited with ${code} before it was ready:\n${raw.join('\n')}`));
    });
    waitForLog((line) => line['event'] === 'ready', options.timeoutMs ?? 20_000).then(
      (ready) => {
        clearTimeout(timer);
        resolve({
          child,
          ready,
          logs,
          stdout,
          waitForLog,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill(signal);
            return exited;
          },
        });
      },
      () => undefined,
    );
  });
}

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';

/** Options of {@link watchPolicy}. */
export interface PolicyReloadOptions<T> {
  /** The config file that holds the policy. */
  file: string;
  /** What is reloaded, for log lines: `acl`, `allowlist`. */
  what: string;
  /** Reads and validates the file; throws with a one-line reason when it is not valid. */
  load: () => T;
  /** Puts a valid policy into force. */
  apply: (policy: T) => void;
  /** Told of every reload attempt, for the audit log. */
  onResult?: (result: 'applied' | 'rejected', reason?: string) => void;
  log: Logger;
}

/** Editors save by writing a temp file and renaming it; several events arrive for one save. */
const SETTLE_MS = 150;

/**
 * Reloads a policy on SIGHUP and whenever its file changes. A file that does not load keeps the
 * policy in force and logs why (`event: "policy.reload-failed"`); a good one is applied and logged
 * (`event: "policy.reloaded"`). The directory is watched, not the file, so a save by rename is seen.
 */
export function watchPolicy<T>(options: PolicyReloadOptions<T>): { reload: (trigger: string) => void; close: () => void } {
  const file = resolve(options.file);
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;

  const reload = (trigger: string): void => {
    let policy: T;
    try {
      policy = options.load();
    } catch (err) {
      options.log.error(
        { event: 'policy.reload-failed', what: options.what, file, trigger, err: (err as Error).message },
        `${options.what} reload failed; keeping the policy in force`,
      );
      options.onResult?.('rejected', (err as Error).message);
      return;
    }
    options.apply(policy);
    options.log.info({ event: 'policy.reloaded', what: options.what, file, trigger }, `${options.what} reloaded`);
    options.onResult?.('applied');
  };
  const onSignal = (): void => reload('SIGHUP');
  process.on('SIGHUP', onSignal);

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        reload('file change');
      }, SETTLE_MS);
    });
    watcher.on('error', (err) => options.log.warn({ err: err.message, file }, 'cannot watch the policy file; SIGHUP still reloads'));
  } catch (err) {
    options.log.warn({ err: (err as Error).message, file }, 'cannot watch the policy file; SIGHUP still reloads');
  }

  return {
    reload,
    close: () => {
      process.off('SIGHUP', onSignal);
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}

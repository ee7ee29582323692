import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';

/**
 * Creates `path` (failing with EEXIST if anything is there, a symlink included) and writes `text` with
 * exactly `mode`: the mode is set on the open descriptor, so the umask cannot widen or narrow it and no
 * path is looked up a second time (a link swapped in after the create cannot redirect the chmod).
 */
export function writeNewFile(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

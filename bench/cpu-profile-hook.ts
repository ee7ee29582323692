/**
 * Loaded with `NODE_OPTIONS=--import=…/cpu-profile-hook.js` (node refuses --cpu-prof in NODE_OPTIONS):
 * profiles the whole process with the inspector and writes a .cpuprofile into BENCH_CPU_PROF_DIR on exit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['BENCH_CPU_PROF_DIR'];
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      const program = process.argv[2] ?? 'node';
      writeFileSync(join(dir, `${program}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

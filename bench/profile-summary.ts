/**
 * Prints where a .cpuprofile spent its samples, by function (self time), heaviest first:
 *   node dist/bench/profile-summary.js FILE.cpuprofile [ROWS]
 * "(program)" is native work outside JavaScript: TLS, nghttp2, libuv and copies.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, rows = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [ROWS]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (const id of profile.samples) {
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const busy = total - (self.get('(idle) :0') ?? 0);
process.stdout.write(`${file}: ${total} samples, ${((100 * busy) / total).toFixed(1)} % busy; share of busy samples:\n`);
for (const [key, count] of [...self].filter(([k]) => k !== '(idle) :0').sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
  process.stdout.write(`${((100 * count) / busy).toFixed(1).padStart(6)} %  ${key}\n`);
}

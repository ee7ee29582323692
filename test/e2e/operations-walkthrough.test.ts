import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';

// Follows docs/operations.md's "Quick local walkthrough" line by line, as a new user would, with the
// example configs from examples/. Only two things change: the documented ports become free ones (in
// the commands and in the copied example files alike), and `causeway` is this checkout's CLI.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
const DOCUMENTED_PORTS = [8443, 9090, 9091, 9092, 3128, 8080];
const REPEAT = '# repeat until it answers';
const work = mkdtempSync(join(tmpdir(), 'causeway-walkthrough-'));
const background: ChildProcess[] = [];

after(async () => {
  for (const child of background) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (background.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await delay(50);
  for (const child of background) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The shell lines of the walkthrough's code blocks, comments and blank lines dropped. */
function walkthroughLines(): string[] {
  const start = DOC.indexOf('<!-- walkthrough:start -->');
  const end = DOC.indexOf('<!-- walkthrough:end -->');
  assert.ok(start >= 0 && end > start, 'docs/operations.md has no walkthrough markers');
  const lines: string[] = [];
  for (const block of DOC.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) if (line.trim() !== '' && !line.trim().startsWith('#')) lines.push(line.trim());
  }
  return lines;
}

describe('docs/operations.md quick local walkthrough', { timeout: 180_000 }, () => {
  test('brings up server, agent and client from examples/ and fetches a page through the tunnel with curl', async () => {
    const ports = new Map<number, number>();
    for (const port of DOCUMENTED_PORTS) ports.set(port, await freePort());
    const rewrite = (text: string) => text.replace(new RegExp(`\\b(${DOCUMENTED_PORTS.join('|')})\\b`, 'g'), (p) => String(ports.get(Number(p))));

    // The "repository root" the walkthrough starts in: examples/ with the ports rewritten.
    mkdirSync(join(work, 'examples'));
    for (const name of readdirSync(join(ROOT, 'examples'))) writeFileSync(join(work, 'examples', name), rewrite(readFileSync(join(ROOT, 'examples', name), 'utf8')));
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'causeway'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'causeway.js')}" "$@"\n`);
    chmodSync(join(bin, 'causeway'), 0o755);
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: work, LANG: 'C.UTF-8' };

    let cwd = work;
    const outputs: { line: string; stdout: string }[] = [];
    const lines = walkthroughLines();
    assert.ok(lines.length >= 10, `walkthrough too short: ${lines.join('\n')}`);
    for (const original of lines) {
      const line = rewrite(original);
      const cd = /^cd (\S+)$/.exec(line);
      if (cd) {
        cwd = resolve(cwd, cd[1]!);
        continue;
      }
      if (line.endsWith(' &')) {
        const child = spawn('sh', ['-c', `exec ${line.slice(0, -2)}`], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
        child.on('exit', (code) => {
          if (code !== null && code !== 0) process.stderr.write(`# ${line} exited ${code}: ${stderr}\n`);
        });
        background.push(child);
        continue;
      }
      const deadline = Date.now() + (original.includes(REPEAT) ? 30_000 : 0);
      for (;;) {
        const r = spawnSync('sh', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 30_000 });
        if (r.status === 0) {
          outputs.push({ line: original, stdout: r.stdout });
          break;
        }
        const dead = background.find((c) => c.exitCode !== null);
        assert.ok(Date.now() < deadline && !dead, `"${original}" failed (status ${r.status}): ${r.stdout}${r.stderr}`);
        await delay(200);
      }
    }

    const fetches = outputs.filter((o) => o.line.includes('--proxy'));
    assert.equal(fetches.length, 2, 'the walkthrough fetches the page over the HTTP proxy and SOCKS5');
    for (const fetch of fetches) assert.equal(fetch.stdout, 'hello through the tunnel\n', fetch.line);
    const audit = outputs.find((o) => o.line.startsWith('causeway audit query'));
    assert.ok(audit, 'the walkthrough reads the audit log');
    assert.match(audit.stdout, /tunnel\.opened.*demo@clients\.example\.causeway/s);
    assert.match(audit.stdout, /web\.example\.internal/);
  });
});

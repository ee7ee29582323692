import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { initCa } from '../../src/pki/ca.js';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { createIdentity } from '../../src/registry/create-identity.js';
import { openIdentityStore } from '../../src/registry/open-identity-store.js';

const CI = 'ci@clients.test.causeway';
const ONPREM = 'onprem@agents.test.causeway';
const DR = 'dr@agents.test.causeway';
const OFF = 'off@agents.test.causeway';

function policyCheck(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CAUSEWAY_BIN, 'policy', 'check', '--config', join(dir, 'server.yaml'), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('causeway policy check: explains the ACL from the server config, without traffic', () => {
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-policy-check-'));
    const dataDir = join(dir, 'data');
    await initCa(join(dataDir, 'ca'), { trustDomain: 'test.causeway' });
    for (const name of [ONPREM, DR, OFF]) {
      await createIdentity({ dataDir, name, role: 'agent', server: '127.0.0.1:1', serverName: 'localhost', out: join(dir, `${name.split('@')[0]}.json`) });
    }
    const store = await openIdentityStore(dataDir);
    await store.setEnabled(OFF, false);
    await store.close();
    writeFileSync(
      join(dir, 'server.yaml'),
      stringify({
        dataDir: './data',
        acl: [
          { clients: [CI], agents: [ONPREM, OFF], destinations: ['git.corp.test:443'] },
          { clients: ['*@clients.test.causeway'], agents: [DR], destinations: ['*.corp.test:22'] },
        ],
      }),
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('allows through the agent a rule names, and says which rule and why, for every registered agent', async () => {
    const { code, stdout } = await policyCheck(dir, '--client', CI, '--target', 'GIT.corp.test.:443');
    assert.equal(code, 0);
    assert.match(stdout, /^target git\.corp\.test:443$/m);
    assert.match(stdout, new RegExp(`^ALLOW via ${ONPREM}\\n {6}acl rule 0 lets client "${CI}" reach git\\.corp\\.test:443`, 'm'));
    assert.match(stdout, new RegExp(`^DENY  via ${DR}\\n {6}no acl rule lets client "${CI}" reach git\\.corp\\.test:443`, 'm'));
    assert.match(stdout, new RegExp(`^ALLOW via ${OFF} \\(identity disabled: refused before the ACL\\)`, 'm'));
    assert.match(stdout, /^ {2}0: grants\n.*\n.*\n {5}destination {2}covered by git\.corp\.test:443$/m);
    assert.match(stdout, /^verdict: ALLOWED by the ACL/m);
  });

  it('denies the same host on another port (exit 1) and shows no rule covers it for that agent', async () => {
    const { code, stdout } = await policyCheck(dir, '--client', CI, '--target', 'git.corp.test:8443', '--agent', ONPREM);
    assert.equal(code, 1);
    assert.match(stdout, new RegExp(`^DENY  via ${ONPREM}$`, 'm'));
    assert.match(stdout, /^ {5}destination {2}not covered$/m);
    assert.match(stdout, /^verdict: DENIED by the ACL$/m);
  });

  it('is allowed only through a disabled agent = denied', async () => {
    const { code } = await policyCheck(dir, '--client', CI, '--target', 'git.corp.test:443', '--agent', OFF);
    assert.equal(code, 1);
  });

  it('wildcards cover exactly one label, in --json too', async () => {
    const [one, two] = await Promise.all([
      policyCheck(dir, '--client', 'x@clients.test.causeway', '--target', 'ssh.corp.test:22', '--agent', DR, '--json'),
      policyCheck(dir, '--client', 'x@clients.test.causeway', '--target', 'a.ssh.corp.test:22', '--agent', DR, '--json'),
    ]);
    assert.equal(one.code, 0);
    const report = JSON.parse(one.stdout) as { allowed: boolean; agents: { decision: { rule: number } }[] };
    assert.equal(report.allowed, true);
    assert.equal(report.agents[0]?.decision.rule, 1);
    assert.equal(two.code, 1);
  });

  const usage: ReadonlyArray<readonly [string, string[], RegExp]> = [
    ['a target without a port', ['--client', CI, '--target', 'git.corp.test'], /--target: expected/],
    ['a target that is not a host', ['--client', CI, '--target', 'a b:1'], /--target: expected a host name or IP address/],
    ['no client', ['--target', 'git.corp.test:443'], /--client is required/],
  ];
  for (const [name, args, message] of usage) {
    it(`refuses ${name} with exit 2`, async () => {
      const { code, stderr } = await policyCheck(dir, ...args);
      assert.equal(code, 2);
      assert.match(stderr, message);
    });
  }
});

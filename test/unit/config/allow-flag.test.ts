import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeAllowEntries, parseAllowFlag, type AllowFlagEntry } from '../../../src/config/allow-flag.js';
import { compileAllowlist } from '../../../src/policy/allowlist.js';

describe('parseAllowFlag', () => {
  const good: { flag: string; host: string; ports: (number | string)[] }[] = [
    { flag: 'gitlab.internal.acme.net:443,22', host: 'gitlab.internal.acme.net', ports: [443, 22] },
    { flag: 'artifactory.internal.acme.net:443', host: 'artifactory.internal.acme.net', ports: [443] },
    { flag: '  GitLab.Internal.ACME.net:443  ', host: 'gitlab.internal.acme.net', ports: [443] },
    { flag: 'gitlab.internal.acme.net.:443', host: 'gitlab.internal.acme.net', ports: [443] },
    { flag: 'bücher.example:443', host: 'xn--bcher-kva.example', ports: [443] },
    { flag: 'db:5432', host: 'db', ports: [5432] },
    { flag: '*.build.acme.net:443', host: '*.build.acme.net', ports: [443] },
    { flag: '**.acme.net:443', host: '**.acme.net', ports: [443] },
    { flag: '10.20.0.0/16:8000-8100', host: '10.20.0.0/16', ports: ['8000-8100'] },
    { flag: '10.0.0.5:22', host: '10.0.0.5', ports: [22] },
    { flag: '[fd00::5]:22', host: 'fd00::5', ports: [22] },
    { flag: '[FD00:0::5]:22', host: 'fd00::5', ports: [22] },
    { flag: '[fd00::]/64:22,443', host: 'fd00::/64', ports: [22, 443] },
    { flag: 'git:443,443,22,22', host: 'git', ports: [443, 22] },
    { flag: 'git:443, 22', host: 'git', ports: [443, 22] },
    { flag: 'git:8000-8000', host: 'git', ports: [8000] },
    { flag: 'git:1,65535', host: 'git', ports: [1, 65535] },
    { flag: 'git:0443', host: 'git', ports: [443] },
  ];
  for (const { flag, host, ports } of good) {
    it(`reads ${JSON.stringify(flag)}`, () => {
      const parsed = parseAllowFlag(flag);
      assert.deepEqual(parsed, { ok: true, entry: { host, ports } });
      // What it yields is what the agent's allowlist compiles.
      assert.doesNotThrow(() => compileAllowlist([parsed.ok ? parsed.entry : { host: '', ports: [] }]));
    });
  }

  const bad: { flag: string; problem: RegExp }[] = [
    { flag: '', problem: /is empty; expected HOST:PORT/ },
    { flag: '   ', problem: /is empty/ },
    { flag: 'gitlab.internal.acme.net', problem: /has no ports; expected HOST:PORT/ },
    { flag: ':443', problem: /has no host before the ports/ },
    { flag: 'gitlab:', problem: /has no ports after the host/ },
    { flag: 'gitlab:443,,22', problem: /empty port in its list/ },
    { flag: 'gitlab:443,', problem: /empty port in its list/ },
    { flag: 'gitlab:,443', problem: /empty port in its list/ },
    { flag: 'gitlab:0', problem: /"0" where a port from 1 to 65535 belongs/ },
    { flag: 'gitlab:65536', problem: /"65536" where a port from 1 to 65535 belongs/ },
    { flag: 'gitlab:https', problem: /"https" where a port from 1 to 65535 belongs/ },
    { flag: 'gitlab:443;22', problem: /"443;22" where a port/ },
    { flag: 'gitlab:-5', problem: /"-5" where a range FIRST-LAST/ },
    { flag: 'gitlab:8100-8000', problem: /"8100-8000" where a range FIRST-LAST with 1 <= FIRST <= LAST <= 65535/ },
    { flag: 'gitlab:1-70000', problem: /where a range FIRST-LAST/ },
    { flag: 'gitlab:1.5', problem: /"1.5" where a port/ },
    { flag: 'fd00::5:22', problem: /looks like an IPv6 address: write it in brackets/ },
    { flag: '[fd00::5:22', problem: /opens "\[" .* never closes it/ },
    { flag: '[fd00::5]', problem: /has no ports after the host/ },
    { flag: '[fd00::5]:', problem: /has no ports after the host/ },
    { flag: '[fd00::5]x:22', problem: /has "x" after "\]"/ },
    { flag: '[]:22', problem: /has no host before the ports/ },
    { flag: '[10.0.0.1]:22', problem: /host that is not a name/ },
    { flag: 'https://gitlab.internal.acme.net:443', problem: /is a URL; give the host and its ports/ },
    { flag: '*:443', problem: /host that is not a name.*would allow every host/ },
    { flag: 'git*.acme.net:443', problem: /"\*" may only stand first/ },
    { flag: '*.:443', problem: /host that is not a name/ },
    { flag: 'bad_host!:443', problem: /host that is not a name/ },
    { flag: 'two words:443', problem: /host that is not a name/ },
    { flag: '1.2.3.4.5:22', problem: /host that is not a name/ },
    { flag: '10.0.0.0/33:22', problem: /host that is not a name/ },
    { flag: '10.0.0.1/8:22', problem: /host that is not a name/ },
    { flag: `${'a'.repeat(1100)}:443`, problem: /is longer than 1024 characters/ },
    { flag: `git:${Array.from({ length: 65 }, (_, i) => i + 1).join(',')}`, problem: /lists more than 64 ports/ },
  ];
  for (const { flag, problem } of bad) {
    it(`refuses ${JSON.stringify(flag.length > 60 ? `${flag.slice(0, 40)}…` : flag)}`, () => {
      const parsed = parseAllowFlag(flag);
      assert.equal(parsed.ok, false);
      const text = (parsed as { problem: string }).problem;
      assert.match(text, problem);
      assert.match(text, /^--allow "/, 'the problem names the flag and quotes the value');
      assert.doesNotMatch(text, /\n/, 'one line');
    });
  }
});

describe('mergeAllowEntries', () => {
  const cases: { name: string; entries: AllowFlagEntry[]; merged: AllowFlagEntry[] }[] = [
    { name: 'nothing', entries: [], merged: [] },
    { name: 'distinct hosts keep their order', entries: [{ host: 'b', ports: [1] }, { host: 'a', ports: [2] }], merged: [{ host: 'b', ports: [1] }, { host: 'a', ports: [2] }] },
    {
      name: 'one host given twice becomes one entry',
      entries: [{ host: 'git', ports: [443] }, { host: 'db', ports: [5432] }, { host: 'git', ports: [22, 443, '8000-8100'] }],
      merged: [{ host: 'git', ports: [443, 22, '8000-8100'] }, { host: 'db', ports: [5432] }],
    },
  ];
  for (const { name, entries, merged } of cases) it(name, () => assert.deepEqual(mergeAllowEntries(entries), merged));
});

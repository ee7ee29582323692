import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createDemoRepository, startDemoGitHost, type DemoGitHost } from '../../src/demo/git-host.js';
import { createStandaloneCa } from '../../src/pki/standalone-ca.js';
import { CAUSEWAY_BIN } from '../../src/quickstart/launch.js';
import { TestTunnel } from '../support/harness.js';
import { SSHD, startSshd, type TestSshd } from '../support/sshd.js';
import { startVerdaccio, type TestRegistry } from '../support/verdaccio.js';

const execFileAsync = promisify(execFile);
const LONG = { timeout: 180_000 };

/** Environment for the tools: no inherited proxy exceptions, no user or system git/npm config. */
function toolEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', no_proxy: '', NO_PROXY: '', ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('npm_config_') || key.startsWith('NPM_CONFIG_')) delete env[key];
  return env;
}

describe('real tools through the client: git over HTTPS and ssh, npm', { skip: existsSync(SSHD) ? false : `${SSHD} is missing (.ci/run installs openssh-server)` }, () => {
  let scratch: string;
  let tunnel: TestTunnel;
  let gitHost: DemoGitHost;
  let gitCaFile: string;
  let sshd: TestSshd;
  let registry: TestRegistry;
  let registryCaFile: string;
  let bare: string;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'causeway-tools-'));
    bare = createDemoRepository(scratch, 'repo', '# reached through causeway\n');
    const ca = await createStandaloneCa('Corp Internal CA');
    gitCaFile = join(scratch, 'corp-ca.pem');
    registryCaFile = gitCaFile;
    writeFileSync(gitCaFile, ca.certPem);
    const gitCert = await ca.issueServerCert(['git.corp.test'], []);
    gitHost = await startDemoGitHost({ projectRoot: scratch, certPem: gitCert.certPem, keyPem: gitCert.keyPem, host: '127.0.0.1', port: 0 });
    sshd = await startSshd(join(scratch, 'sshd'));
    const npmCert = await ca.issueServerCert(['npm.corp.test'], []);
    registry = await startVerdaccio(join(scratch, 'verdaccio'), 'npm.corp.test', { ...npmCert, caPem: ca.certPem });
    tunnel = await TestTunnel.start({
      allow: [
        { host: 'git.corp.test', ports: [gitHost.port, sshd.port], allowLoopback: true },
        { host: 'npm.corp.test', ports: [registry.port], allowLoopback: true },
      ],
      hosts: { 'git.corp.test': '127.0.0.1', 'npm.corp.test': '127.0.0.1' },
    });
  });

  after(async () => {
    await tunnel?.stop();
    await Promise.all([gitHost?.close(), sshd?.stop(), registry?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('git clone over HTTPS with http.proxy', LONG, async () => {
    const into = join(scratch, 'clone-https');
    await execFileAsync(
      'git',
      ['-c', `http.proxy=http://127.0.0.1:${tunnel.proxyPort}`, 'clone', '-q', `https://git.corp.test:${gitHost.port}/repo.git`, into],
      { env: toolEnv(scratch, { GIT_SSL_CAINFO: gitCaFile }) },
    );
    assert.equal(readFileSync(join(into, 'README.md'), 'utf8'), '# reached through causeway\n');
  });

  const sshCommand = (): string => {
    const knownHosts = join(scratch, 'known_hosts');
    writeFileSync(knownHosts, sshd.knownHostsFor('git.corp.test'));
    const proxyCommand = `${process.execPath} ${CAUSEWAY_BIN} client stdio --config ${tunnel.clientConfigPath()} %h %p`;
    return [
      'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes',
      `-i ${sshd.identityFile}`,
      `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
      `-o 'ProxyCommand=${proxyCommand}'`,
    ].join(' ');
  };

  test('git clone over ssh with ProxyCommand to a real sshd', LONG, async () => {
    const into = join(scratch, 'clone-ssh');
    await execFileAsync('git', ['clone', '-q', `ssh://${sshd.user}@git.corp.test:${sshd.port}${bare}`, into], {
      env: toolEnv(scratch, { GIT_SSH_COMMAND: sshCommand() }),
    });
    assert.equal(readFileSync(join(into, 'README.md'), 'utf8'), '# reached through causeway\n');
  });

  test('ssh returns within 2 s after the remote command ends', LONG, async (t) => {
    const command = `${sshCommand()} -p ${sshd.port} ${sshd.user}@git.corp.test 'echo remote-done; date +%s%3N'`;
    const { stdout } = await execFileAsync('sh', ['-c', command], { env: toolEnv(scratch) });
    const returned = Date.now();
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'remote-done');
    const remoteEnded = Number(lines[1]);
    assert.ok(Number.isFinite(remoteEnded), stdout);
    const lag = returned - remoteEnded;
    t.diagnostic(`ssh returned ${lag} ms after the remote command ended`);
    assert.ok(lag < 2000, `ssh returned ${lag} ms after the remote command ended`);
  });

  test('npm install of a package published to a private registry, through HTTPS_PROXY', LONG, async () => {
    const home = join(scratch, 'npm-home');
    mkdirSync(home, { recursive: true });
    const user = await registry.request('PUT', '/-/user/org.couchdb.user:publisher', { name: 'publisher', password: 'publisher-password' });
    assert.equal(user.status, 201, JSON.stringify(user.json));
    const token = (user.json as { token: string }).token;
    const registryUrl = `https://npm.corp.test:${registry.port}/`;
    const npmrc = join(home, '.npmrc');
    writeFileSync(npmrc, `registry=${registryUrl}\ncafile=${registryCaFile}\n//npm.corp.test:${registry.port}/:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
    const env = toolEnv(home, { HTTPS_PROXY: `http://127.0.0.1:${tunnel.proxyPort}`, npm_config_cache: join(home, 'cache'), npm_config_userconfig: npmrc });

    const pkg = join(scratch, 'pkg');
    mkdirSync(pkg);
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@corp/hello', version: '1.0.0', main: 'index.js', license: 'UNLICENSED' }));
    writeFileSync(join(pkg, 'index.js'), "module.exports = 'hello from the private registry';\n");
    await execFileAsync('npm', ['publish'], { cwd: pkg, env });

    const app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await execFileAsync('npm', ['install', '@corp/hello@1.0.0'], { cwd: app, env });
    const { stdout } = await execFileAsync(process.execPath, ['-p', "require('@corp/hello')"], { cwd: app });
    assert.equal(stdout.trim(), 'hello from the private registry');
    const audit = readFileSync(join(tunnel.dataDir, 'audit.jsonl'), 'utf8');
    assert.ok(audit.split('\n').some((l) => l.includes('"type":"tunnel.opened"') && l.includes(`npm.corp.test:${registry.port}`)), 'npm went through the tunnel');
  });
});

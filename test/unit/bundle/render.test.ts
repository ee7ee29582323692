import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { renderBundle, renderInstallMd, type BundleSpec } from '../../../src/bundle/render.js';
import { checkRendered } from '../../../src/bundle/write-bundle.js';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { parseConfig } from '../../../src/config/load.js';
import { parseBundleFlags, type BundleFlags } from '../../../src/cli/cmd-agent-bundle.js';
import { UsageError } from '../../../src/cli/usage.js';
import { VERSION } from '../../../src/version.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
const CREDENTIAL = `${JSON.stringify({ version: 1, identity: 'acme-onprem@agents.acme.causeway', privateKey: { d: 'secret-scalar' } }, null, 2)}\n`;
const TOKEN = 'adm1n-t0ken';

const SPEC: BundleSpec = {
  identity: 'acme-onprem@agents.acme.causeway',
  trustDomain: 'acme.causeway',
  server: 'tunnel.example.com:8443',
  allow: [
    { host: 'gitlab.internal.acme.net', ports: [443, 22] },
    { host: 'artifactory.internal.acme.net', ports: [443] },
    { host: '*.build.acme.net', ports: ['8000-8100'] },
  ],
  allowLoopback: false,
  dnsServers: [],
  admin: '127.0.0.1:9090',
  targetCerts: [],
  version: VERSION,
  createdAt: '2025-01-02T03:04:05.000Z',
};

type K8sDoc = { kind: string; metadata: { name: string }; data: Record<string, string>; spec: any };

function manifests(text: string): K8sDoc[] {
  return parseAllDocuments(text).map((doc) => {
    assert.deepEqual(doc.errors, [], 'kubernetes.yaml parses');
    return doc.toJS() as K8sDoc;
  });
}

function agentConfig(text: string) {
  return parseConfig(parse(text) as unknown, agentConfigSchema, 'agent.yaml', { baseDir: '/bundle' });
}

describe('bundle rendering', () => {
  const variants: { name: string; spec: BundleSpec; expect: (b: ReturnType<typeof renderBundle>) => void }[] = [
    {
      name: 'plain: server, allowlist, loopback admin, credentials beside the config',
      spec: SPEC,
      expect: (b) => {
        const config = agentConfig(b.agentYaml);
        assert.equal(config.credentials, '/bundle/agent.json');
        assert.deepEqual(config.server, { host: 'tunnel.example.com', port: 8443 });
        assert.deepEqual(config.admin, { host: '127.0.0.1', port: 9090 });
        assert.deepEqual(
          config.allow.map((e) => ({ host: e.host, ports: e.ports.map((p) => (p.first === p.last ? p.first : `${p.first}-${p.last}`)), allowLoopback: e.allowLoopback })),
          [
            { host: 'gitlab.internal.acme.net', ports: [443, 22], allowLoopback: false },
            { host: 'artifactory.internal.acme.net', ports: [443], allowLoopback: false },
            { host: '*.build.acme.net', ports: ['8000-8100'], allowLoopback: false },
          ],
        );
        assert.equal(config.proxy, undefined);
        assert.equal(config.dns.servers, undefined);
        assert.doesNotMatch(b.installMd, /CAUSEWAY_HEALTH_PORT/);
        assert.match(b.installMd, /\| the agent's host \(or pods\) \| tunnel\.example\.com:8443 \| TCP \(mutual TLS, gRPC\) \| outbound only \|/);
      },
    },
    {
      name: 'with proxy, resolvers, loopback names and another admin port',
      spec: { ...SPEC, admin: '127.0.0.1:9191', allowLoopback: true, dnsServers: ['10.0.0.53', '10.0.0.54:5353'], proxy: { url: 'http://proxy.corp:3128', noProxy: ['10.0.0.0/8'] } },
      expect: (b) => {
        for (const text of [b.agentYaml, b.kubernetesAgentYaml]) {
          const config = agentConfig(text);
          assert.ok(config.allow.every((e) => e.allowLoopback));
          assert.deepEqual(config.dns.servers, ['10.0.0.53:53', '10.0.0.54:5353']);
          assert.equal(config.proxy?.url, 'http://proxy.corp:3128');
          assert.deepEqual(config.proxy?.noProxy, ['10.0.0.0/8']);
        }
        assert.match(b.installMd, /proxy\.corp:3128 \(the proxy\) \| TCP, HTTP CONNECT \| outbound only/);
        assert.match(b.installMd, /The proxy must allow `CONNECT tunnel\.example\.com:8443`/);
        assert.match(b.installMd, /asks 10\.0\.0\.53, 10\.0\.0\.54:5353 for the target names/);
        assert.match(b.installMd, /-e CAUSEWAY_HEALTH_PORT=9191/, 'the Docker health check asks the admin port agent.yaml names');
        assert.match(b.installMd, /curl -fsS http:\/\/127\.0\.0\.1:9191\/readyz/);
      },
    },
    {
      name: 'IPv6 server and hosts',
      spec: { ...SPEC, server: '[2001:db8::1]:8443', allow: [{ host: 'fd00::5', ports: [22] }, { host: 'fd00::/64', ports: [443] }] },
      expect: (b) => {
        const config = agentConfig(b.agentYaml);
        assert.deepEqual(config.server, { host: '2001:db8::1', port: 8443 });
        assert.deepEqual(config.allow.map((e) => e.host), ['fd00::5', 'fd00::/64']);
        assert.match(b.installMd, /\[2001:db8::1\]:8443 \| TCP/);
      },
    },
  ];
  for (const { name, spec, expect } of variants) {
    it(name, () => {
      const bundle = renderBundle(spec, CREDENTIAL, TOKEN);
      checkRendered(bundle);
      expect(bundle);
    });
  }

  it('kubernetes.yaml: ConfigMap, Secret and Deployment named and wired per the deployment conventions', () => {
    const bundle = renderBundle(SPEC, CREDENTIAL, TOKEN);
    const docs = manifests(bundle.kubernetesYaml);
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['ConfigMap/causeway-agent-config', 'Secret/causeway-agent-credentials', 'Deployment/causeway-agent']);
    const [configMap, secret, deployment] = docs as [K8sDoc, K8sDoc, K8sDoc];

    assert.equal(configMap.data['agent.yaml'], bundle.kubernetesAgentYaml);
    const inPod = agentConfig(bundle.kubernetesAgentYaml);
    assert.deepEqual(inPod.admin, { host: '0.0.0.0', port: 9090 }, 'probes reach the pod address');
    assert.equal(inPod.credentials, undefined, 'the credential comes from the Secret through CAUSEWAY_CREDENTIALS_FILE');
    assert.deepEqual(inPod.allow, agentConfig(bundle.agentYaml).allow, 'the same allowlist as agent.yaml');

    assert.equal(Buffer.from(secret.data['agent.json']!, 'base64').toString('utf8'), CREDENTIAL, 'the Secret holds the credential byte for byte');
    assert.equal(Buffer.from(secret.data['admin-token']!, 'base64').toString('utf8'), TOKEN);

    const spec = deployment.spec;
    assert.equal(spec.replicas, 2);
    assert.deepEqual(spec.selector.matchLabels, { 'app.kubernetes.io/name': 'causeway-agent' });
    assert.equal(spec.template.metadata.labels['app.kubernetes.io/name'], 'causeway-agent');
    const pod = spec.template.spec;
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const [container] = pod.containers;
    assert.equal(container.image, `ghcr.io/causeway/causeway:${PACKAGE_VERSION}`, 'the image tag is the package version');
    assert.deepEqual(container.args, ['agent', '--config', '/etc/causeway/config/agent.yaml']);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.ports, [{ name: 'admin', containerPort: 9090, protocol: 'TCP' }]);
    assert.deepEqual([container.livenessProbe.httpGet, container.readinessProbe.httpGet], [{ path: '/healthz', port: 'admin' }, { path: '/readyz', port: 'admin' }]);

    // Every mount resolves to a volume, every volume to the ConfigMap or Secret above, every env path to a key in them.
    const volumes = new Map<string, any>(pod.volumes.map((v: any) => [v.name, v]));
    const mounted = new Map<string, Record<string, string>>();
    for (const mount of container.volumeMounts) {
      const volume = volumes.get(mount.name);
      assert.ok(volume, `volume ${mount.name} exists`);
      assert.equal(mount.readOnly, true);
      if (volume.configMap) {
        assert.equal(volume.configMap.name, configMap.metadata.name);
        mounted.set(mount.mountPath, configMap.data);
      } else {
        assert.equal(volume.secret.secretName, secret.metadata.name);
        mounted.set(mount.mountPath, secret.data);
      }
    }
    assert.deepEqual([...mounted.keys()].sort(), ['/etc/causeway/config', '/etc/causeway/secrets']);
    const fileExists = (path: string): boolean => {
      const dir = path.slice(0, path.lastIndexOf('/'));
      return mounted.get(dir)?.[path.slice(dir.length + 1)] !== undefined;
    };
    assert.ok(fileExists(container.args[2]), 'the --config file is in the ConfigMap');
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    assert.equal(env['CAUSEWAY_CREDENTIALS_FILE'], '/etc/causeway/secrets/agent.json');
    assert.ok(fileExists(env['CAUSEWAY_CREDENTIALS_FILE']));
    assert.ok(fileExists(env['CAUSEWAY_ADMIN_TOKEN_FILE']));
  });

  it('INSTALL.md: egress rule, docker run line, systemd steps and the Kubernetes steps', () => {
    const md = renderBundle(SPEC, CREDENTIAL, TOKEN).installMd;
    const required: RegExp[] = [
      /tunnel\.example\.com:8443 \| TCP .* \| outbound only \|/,
      /Nothing inbound/,
      new RegExp(`docker run -d --name causeway-agent .*\\n  --read-only --cap-drop ALL --security-opt no-new-privileges`),
      /-v \/etc\/causeway\/config:\/etc\/causeway\/config:ro/,
      /-v \/etc\/causeway\/secrets:\/etc\/causeway\/secrets:ro/,
      /-e CAUSEWAY_CREDENTIALS_FILE=\/etc\/causeway\/secrets\/agent\.json/,
      new RegExp(`ghcr\\.io/causeway/causeway:${PACKAGE_VERSION.replace(/\./g, '\\.')} agent --config /etc/causeway/config/agent\\.yaml`),
      /install -m 0400 -o 10001 -g 10001 agent\.json/,
      /sudo install -m 0644 agent\.yaml \/etc\/causeway\/agent\.yaml/,
      /sudo install -m 0600 agent\.json \/etc\/causeway\/agent\.json/,
      /causeway-agent\.service \/etc\/systemd\/system\/causeway-agent\.service/,
      /sudo systemctl enable --now causeway-agent/,
      /kubectl apply -n causeway -f kubernetes\.yaml/,
      /\| `gitlab\.internal\.acme\.net` \| 443, 22 \|/,
      /\| `\*\.build\.acme\.net` \| 8000-8100 \|/,
      /never terminates TLS/,
      /causeway identity disable --name acme-onprem@agents\.acme\.causeway/,
    ];
    for (const pattern of required) assert.match(md, pattern);
    assert.doesNotMatch(md, /secret-scalar|adm1n-t0ken/, 'no secret in the instructions');
    assert.doesNotMatch(renderBundle(SPEC, CREDENTIAL, TOKEN).agentYaml, /secret-scalar|adm1n-t0ken/, 'no secret in agent.yaml');
  });

  const certs: { kinds: BundleSpec['targetCerts']; has: RegExp[]; hasNot: RegExp[] }[] = [
    { kinds: [], has: [/\*\*Public CA\*\*/, /\*\*Internal PKI\*\*/, /\*\*Self-signed\*\*/], hasNot: [/Your targets use/] },
    { kinds: ['public'], has: [/\*\*Public CA\*\*/, /Your targets use: public\./], hasNot: [/Internal PKI/, /Self-signed/] },
    { kinds: ['internal-pki'], has: [/internal root CA certificate \(public part only, never a key\)/], hasNot: [/Public CA/, /Self-signed/] },
    { kinds: ['self-signed'], has: [/SHA-256 fingerprint/, /subjectAltName/], hasNot: [/Public CA/, /Internal PKI/] },
    { kinds: ['public', 'self-signed'], has: [/Public CA/, /Self-signed/, /Your targets use: public, self-signed\./], hasNot: [/Internal PKI/] },
  ];
  for (const { kinds, has, hasNot } of certs) {
    it(`certificate note for ${kinds.join(' + ') || 'unknown certificates'}`, () => {
      const md = renderBundle({ ...SPEC, targetCerts: kinds }, CREDENTIAL, TOKEN).installMd;
      const note = md.slice(md.indexOf('## 4. The targets'), md.indexOf('## Changing'));
      assert.match(note, /TLS runs end to end between the cloud workload and the target/);
      assert.match(note, /exact name it dials,\ne\.g\. gitlab\.internal\.acme\.net/);
      assert.match(note, /SSH host-key/);
      for (const p of has) assert.match(note, p);
      for (const p of hasNot) assert.doesNotMatch(note, p);
    });
  }
});

describe('agent-bundle flags', () => {
  const base: BundleFlags = {
    'data-dir': './data',
    name: 'acme-onprem',
    server: 'tunnel.example.com:8443',
    allow: ['gitlab.internal.acme.net:443,22', 'artifactory.internal.acme.net:443', 'gitlab.internal.acme.net:8443'],
    out: 'out',
    admin: '127.0.0.1:9090',
    'allow-loopback': false,
  };

  it('turns the flags into the bundle: server name from --server, entries of one host merged', () => {
    const options = parseBundleFlags({ ...base, cidr: ['10.0.0.0/8'], 'target-certs': ['public,internal-pki', 'public'], 'dns-server': ['10.0.0.53'] }, new Date('2025-01-02T03:04:05Z'));
    assert.equal(options.serverName, 'tunnel.example.com');
    assert.deepEqual(options.cidrs, ['10.0.0.0/8']);
    assert.deepEqual(options.spec.allow, [
      { host: 'gitlab.internal.acme.net', ports: [443, 22, 8443] },
      { host: 'artifactory.internal.acme.net', ports: [443] },
    ]);
    assert.deepEqual(options.spec.targetCerts, ['public', 'internal-pki']);
    assert.deepEqual(options.spec.dnsServers, ['10.0.0.53']);
    assert.equal(options.spec.createdAt, '2025-01-02T03:04:05.000Z');
    assert.equal(parseBundleFlags({ ...base, 'server-name': 'tunnel.internal' }).serverName, 'tunnel.internal');
    assert.equal(parseBundleFlags({ ...base, server: '[2001:db8::1]:8443' }).serverName, '2001:db8::1');
    assert.deepEqual(parseBundleFlags({ ...base, proxy: 'http://proxy.corp:3128', 'no-proxy': 'a.corp, 10.0.0.0/8' }).spec.proxy, { url: 'http://proxy.corp:3128', noProxy: ['a.corp', '10.0.0.0/8'] });
  });

  it('writes the --proxy URL as parsed: control characters the URL parser skips never reach the files', () => {
    for (const [typed, written] of [
      ['http://proxy.corp:3128\t\n', 'http://proxy.corp:3128'],
      ['http://pro\nxy.corp:3128\n\n', 'http://proxy.corp:3128'],
      ['http://PROXY.corp:3128/\u0007', 'http://proxy.corp:3128'],
      ['proxy.corp:3128', 'http://proxy.corp:3128'],
      ['http://[fd00::1]:3128', 'http://[fd00::1]:3128'],
    ]) {
      const options = parseBundleFlags({ ...base, proxy: typed });
      assert.equal(options.spec.proxy?.url, written, JSON.stringify(typed));
      const install = renderInstallMd({ ...options.spec, identity: 'acme-onprem@agents.t', trustDomain: 't' });
      assert.match(install, new RegExp(`through your HTTP proxy ${written.replace(/[.[\]]/g, '\\$&')} \\(set in agent.yaml\\):`));
    }
  });

  const bad: { name: string; flags: Partial<BundleFlags>; problem: RegExp }[] = [
    { name: 'no --name', flags: { name: undefined }, problem: /--name is required/ },
    { name: 'a bad --name', flags: { name: 'acme onprem' }, problem: /--name "acme onprem" is not an identity name/ },
    { name: 'a --name with two @', flags: { name: 'a@b@c' }, problem: /is not an identity name/ },
    { name: 'no --server', flags: { server: undefined }, problem: /--server HOST:PORT is required/ },
    { name: '--server without a port', flags: { server: 'tunnel.example.com' }, problem: /--server: expected an address like/ },
    { name: '--server with port 0', flags: { server: 'tunnel.example.com:0' }, problem: /--server: expected host:port with a port from 1/ },
    { name: 'a bad --server-name', flags: { 'server-name': 'not a name' }, problem: /--server-name "not a name" is not a host name/ },
    { name: 'no --out', flags: { out: undefined }, problem: /--out DIR is required/ },
    { name: 'no --allow', flags: { allow: undefined }, problem: /at least one --allow/ },
    { name: 'a bad --allow', flags: { allow: ['gitlab.internal.acme.net:443', 'gitlab:0'] }, problem: /--allow "gitlab:0" has "0" where a port/ },
    { name: 'too many --allow', flags: { allow: Array.from({ length: 257 }, (_, i) => `h${i}:443`) }, problem: /at most 256 --allow/ },
    { name: 'a bad --admin', flags: { admin: 'everywhere' }, problem: /--admin: expected an address/ },
    { name: 'a bad --dns-server', flags: { 'dns-server': ['resolver.corp'] }, problem: /--dns-server "resolver\.corp" is not a resolver address/ },
    { name: 'a --proxy that is not http', flags: { proxy: 'https://proxy.corp:3128' }, problem: /--proxy: only http:\/\/ proxies/ },
    { name: 'a --proxy without a port', flags: { proxy: 'http://proxy.corp' }, problem: /--proxy: expected an explicit port/ },
    { name: 'a --proxy with a password', flags: { proxy: 'http://u:Pa55w0rd@proxy.corp:3128' }, problem: /--proxy must not hold user:password@/ },
    { name: 'a --proxy with a user', flags: { proxy: 'http://u@proxy.corp:3128' }, problem: /--proxy must not hold user:password@/ },
    { name: 'a bad --no-proxy', flags: { proxy: 'http://proxy.corp:3128', 'no-proxy': 'a.corp,10.0.0.0/99' }, problem: /--no-proxy: / },
    { name: '--no-proxy without --proxy', flags: { 'no-proxy': 'a.corp' }, problem: /--no-proxy needs --proxy/ },
    { name: 'an unknown --target-certs', flags: { 'target-certs': ['letsencrypt'] }, problem: /--target-certs "letsencrypt" is not one of public, internal-pki, self-signed/ },
    { name: 'a bad --cidr', flags: { cidr: ['10.0.0.0/99'] }, problem: /--cidr "10\.0\.0\.0\/99" is not a network/ },
  ];
  for (const { name, flags, problem } of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseBundleFlags({ ...base, ...flags } as BundleFlags),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.command, 'agent-bundle');
          assert.match(err.message, problem);
          assert.doesNotMatch(err.message, /Pa55w0rd/, 'a proxy password is never echoed');
          return true;
        },
      );
    });
  }
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAdmin } from '../../../src/admin/admin-server.js';
import { checkManifests, loadManifests, type CheckContext, type Container, type K8sObject, type ManifestSet } from '../../support/kubernetes.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIR = join(ROOT, 'deploy', 'kubernetes');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const set = loadManifests(DIR);

let context: CheckContext;
let closeAdmin: () => void = () => {};
after(() => closeAdmin());

/** The paths the real admin listener answers 200 to, among every probe path in the manifests and a wrong one. */
before(async () => {
  const { server, port } = await startAdmin('127.0.0.1', 0, { notReadyReason: () => undefined });
  closeAdmin = () => server.close();
  const candidates = new Set(['/health', '/ready']);
  for (const { object } of set.manifests) {
    for (const c of object.spec?.template?.spec?.containers ?? []) {
      for (const probe of [c.livenessProbe, c.readinessProbe]) if (probe?.httpGet?.path) candidates.add(probe.httpGet.path);
    }
  }
  const adminPaths = new Set<string>();
  for (const path of candidates) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    if (res.status === 200) adminPaths.add(path);
  }
  context = { image: `ghcr.io/causeway/causeway:${VERSION}`, adminPaths, replicas: { 'causeway-agent': 2, 'causeway-server': 1 } };
});

function find(s: ManifestSet, kind: string, name: string): K8sObject {
  const found = s.manifests.find((m) => m.object.kind === kind && m.object.metadata?.name === name);
  assert.ok(found, `${kind}/${name} is missing`);
  return found.object;
}

function container(s: ManifestSet, deployment: string): Container {
  return find(s, 'Deployment', deployment).spec!.template!.spec!.containers![0]!;
}

describe('deploy/kubernetes manifests', () => {
  test('parse, and every reference between them and into their configs holds', () => {
    assert.deepEqual(set.problems, []);
    const kinds = set.manifests.map((m) => `${m.file} ${m.object.kind}/${m.object.metadata?.name}`).sort();
    assert.deepEqual(kinds, [
      'agent.yaml ConfigMap/causeway-agent-config',
      'agent.yaml Deployment/causeway-agent',
      'client.yaml ConfigMap/causeway-client-config',
      'client.yaml Deployment/causeway-client',
      'client.yaml NetworkPolicy/causeway-client',
      'client.yaml Service/causeway-client',
      'server.yaml ConfigMap/causeway-server-config',
      'server.yaml Deployment/causeway-server',
      'server.yaml PersistentVolumeClaim/causeway-server-data',
      'server.yaml Service/causeway-server',
      'server.yaml Service/causeway-server-admin',
    ]);
    assert.deepEqual(checkManifests(set, context), []);
  });

  test('the probes ask paths the real admin listener serves, and it does not serve the wrong ones', () => {
    assert.ok(context.adminPaths.has('/healthz') && context.adminPaths.has('/readyz'), [...context.adminPaths].join(' '));
    assert.equal(context.adminPaths.has('/health'), false);
  });

  test('the Secrets the manifests mount are the ones their comments tell the operator to create (conventions)', () => {
    assert.deepEqual(
      Object.fromEntries([...set.secrets].map(([name, keys]) => [name, [...keys].sort()])),
      {
        'causeway-agent-credentials': ['admin-token', 'agent.json'],
        'causeway-client-credentials': ['admin-token', 'client.json'],
        'causeway-server-admin': ['admin-token'],
      },
    );
    const agent = container(set, 'causeway-agent');
    assert.deepEqual(
      agent.volumeMounts?.map((m) => m.mountPath),
      ['/etc/causeway/config', '/etc/causeway/secrets'],
    );
  });

  // Each broken copy must be caught, with a message naming what is wrong.
  const mutations: { name: string; change: (s: ManifestSet) => void; expect: RegExp }[] = [
    {
      name: 'a container port renamed under the probes',
      change: (s) => (container(s, 'causeway-agent').ports![0]!.name = 'adm'),
      expect: /Deployment\/causeway-agent: container agent: livenessProbe port admin is no port of the container/,
    },
    {
      name: 'a Service targetPort naming no container port',
      change: (s) => (find(s, 'Service', 'causeway-server').spec!.ports![0]!.targetPort = 'grpcs'),
      expect: /Service\/causeway-server: targetPort grpcs is no container port of Deployment\/causeway-server/,
    },
    {
      name: 'a Service selecting no pods',
      change: (s) => (find(s, 'Service', 'causeway-client').spec!.selector = { 'app.kubernetes.io/name': 'causeway-proxy' }),
      expect: /Service\/causeway-client: its selector matches no Deployment's pods/,
    },
    {
      name: 'a NetworkPolicy port naming no container port',
      change: (s) => (find(s, 'NetworkPolicy', 'causeway-client').spec!.ingress![0]!.ports![0]!.port = 'socks'),
      expect: /NetworkPolicy\/causeway-client: port socks is no container port/,
    },
    {
      name: 'the ConfigMap key renamed away from the --config file',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-agent-config');
        cm.data = { 'agent.yml': cm.data!['agent.yaml']! };
      },
      expect: /--config \/etc\/causeway\/config\/agent.yaml: ConfigMap causeway-agent-config has no key agent.yaml/,
    },
    {
      name: 'a Secret name nobody creates',
      change: (s) => (find(s, 'Deployment', 'causeway-agent').spec!.template!.spec!.volumes![1]!.secret!.secretName = 'causeway-agent-secret'),
      expect: /Secret causeway-agent-secret is created by no documented kubectl command/,
    },
    {
      name: 'the admin token file naming a key the Secret lacks',
      change: (s) => (container(s, 'causeway-server').env![0]!.value = '/etc/causeway/secrets/token'),
      expect: /CAUSEWAY_ADMIN_TOKEN_FILE \/etc\/causeway\/secrets\/token: Secret causeway-server-admin has no key token/,
    },
    {
      name: 'a probe path the admin listener does not serve',
      change: (s) => (container(s, 'causeway-client').livenessProbe!.httpGet!.path = '/health'),
      expect: /livenessProbe path \/health is not served by the admin listener/,
    },
    {
      name: 'credentials outside every mount',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-agent-config');
        cm.data!['agent.yaml'] = cm.data!['agent.yaml']!.replace('/etc/causeway/secrets/agent.json', '/etc/causeway/secret/agent.json');
      },
      expect: /credentials \/etc\/causeway\/secret\/agent.json is on no mounted volume/,
    },
    {
      name: 'a config the schema refuses',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-server-config');
        cm.data!['server.yaml'] += 'certLifeTime: 1h\n';
      },
      expect: /ConfigMap causeway-server-config key server.yaml: server.yaml: unknown key "certLifeTime" \(did you mean "certLifetime"\?\)/,
    },
    {
      name: 'an open client proxy the program would refuse',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-client-config');
        cm.data!['client.yaml'] = cm.data!['client.yaml']!.replace(/allowOpenProxy: true/, 'allowOpenProxy: false');
      },
      expect: /client.yaml: listen: listening on 0.0.0.0 without auth/,
    },
    {
      name: 'the config admin port differing from the container port',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-agent-config');
        cm.data!['agent.yaml'] = cm.data!['agent.yaml']!.replace('0.0.0.0:9090', '0.0.0.0:9091');
      },
      expect: /admin port 9091 is not the containerPort named admin \(9090\)/,
    },
    {
      name: 'the admin listener on loopback, out of the probes reach',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-client-config');
        cm.data!['client.yaml'] = cm.data!['client.yaml']!.replace('admin: 0.0.0.0:9090', 'admin: 127.0.0.1:9090');
      },
      expect: /admin listens on 127.0.0.1, which the kubelet's probes cannot reach/,
    },
    {
      name: 'the server listen port differing from the grpc port',
      change: (s) => (container(s, 'causeway-server').ports![0]!.containerPort = 443),
      expect: /listen port 8443 is not the containerPort named grpc \(443\)/,
    },
    {
      name: 'a read-only data directory',
      change: (s) => (container(s, 'causeway-server').volumeMounts![2]!.readOnly = true),
      expect: /dataDir \/var\/lib\/causeway must be on a writable volume/,
    },
    {
      name: 'the client dialling a port the server Service lacks',
      change: (s) => {
        const cm = find(s, 'ConfigMap', 'causeway-client-config');
        cm.data!['client.yaml'] = cm.data!['client.yaml']!.replace('causeway-server:8443', 'causeway-server:443');
      },
      expect: /Service causeway-server has no port 443/,
    },
    {
      name: 'a writable root filesystem',
      change: (s) => (container(s, 'causeway-agent').securityContext!.readOnlyRootFilesystem = false),
      expect: /container agent: readOnlyRootFilesystem must be true/,
    },
    {
      name: 'an init container that may escalate',
      change: (s) => (find(s, 'Deployment', 'causeway-server').spec!.template!.spec!.initContainers![0]!.securityContext!.allowPrivilegeEscalation = true),
      expect: /container ca-init: allowPrivilegeEscalation must be false/,
    },
    {
      name: 'running as root',
      change: (s) => (find(s, 'Deployment', 'causeway-client').spec!.template!.spec!.securityContext!.runAsUser = 0),
      expect: /Deployment\/causeway-client: pod must run as non-root uid\/gid 10001/,
    },
    {
      name: 'one agent replica',
      change: (s) => (find(s, 'Deployment', 'causeway-agent').spec!.replicas = 1),
      expect: /Deployment\/causeway-agent: replicas 1 \(expected 2\)/,
    },
    {
      name: 'an image tag other than the package version',
      change: (s) => (container(s, 'causeway-agent').image = 'ghcr.io/causeway/causeway:latest'),
      expect: /image ghcr.io\/causeway\/causeway:latest \(expected ghcr.io\/causeway\/causeway:/,
    },
    {
      name: 'a selector that misses its own pods',
      change: (s) => (find(s, 'Deployment', 'causeway-server').spec!.selector!.matchLabels = { app: 'server' }),
      expect: /Deployment\/causeway-server: selector does not match the pod template's labels/,
    },
    {
      name: 'a mount naming no volume',
      change: (s) => (container(s, 'causeway-agent').volumeMounts![0]!.name = 'cfg'),
      expect: /mount \/etc\/causeway\/config names no volume cfg/,
    },
    {
      name: 'a writable secrets mount',
      change: (s) => delete container(s, 'causeway-client').volumeMounts![1]!.readOnly,
      expect: /\/etc\/causeway\/secrets holds config or secrets and must be readOnly/,
    },
    {
      name: 'a PersistentVolumeClaim that does not exist',
      change: (s) => (find(s, 'Deployment', 'causeway-server').spec!.template!.spec!.volumes![2]!.persistentVolumeClaim!.claimName = 'data'),
      expect: /volume data: no PersistentVolumeClaim data/,
    },
  ];
  for (const { name, change, expect } of mutations) {
    test(`catches ${name}`, () => {
      const broken: ManifestSet = { ...structuredClone(set), problems: [] };
      change(broken);
      const problems = checkManifests(broken, context);
      assert.ok(
        problems.some((p) => expect.test(p)),
        `expected a problem matching ${expect}, got:\n${problems.join('\n')}`,
      );
    });
  }
});

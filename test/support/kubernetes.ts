import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadAgentConfig } from '../../src/config/agent.js';
import { checkClientExposure, loadClientConfig } from '../../src/config/client.js';
import { loadServerConfig } from '../../src/config/server.js';

/**
 * A static checker for deploy/kubernetes/: parses every manifest and checks the references between
 * them and into the config files they carry, so that a renamed port, Secret key or probe path fails a
 * test rather than a rollout. Only the fields Causeway's manifests use are modelled.
 */

export interface Port {
  name?: string;
  containerPort?: number;
  port?: number | string;
  targetPort?: number | string;
  protocol?: string;
}
export interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
export interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: Port[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Mount[];
}
export interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: unknown;
}
export interface Labels {
  [key: string]: string;
}
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Labels };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Labels } & Labels;
    podSelector?: { matchLabels?: Labels };
    template?: {
      metadata?: { labels?: Labels };
      spec?: {
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
        initContainers?: Container[];
        containers?: Container[];
        volumes?: Volume[];
      };
    };
    ports?: Port[];
    ingress?: { ports?: Port[] }[];
  };
}

/** One parsed manifest document and the file it came from. */
export interface Manifest {
  readonly file: string;
  readonly object: K8sObject;
}

/** Everything in a manifest directory. */
export interface ManifestSet {
  readonly manifests: Manifest[];
  /** Secrets the operator creates with `kubectl create secret generic` (from the files' comments): name → keys. */
  readonly secrets: Map<string, Set<string>>;
  /** YAML syntax problems. */
  readonly problems: string[];
}

/** What the checks compare against. */
export interface CheckContext {
  /** Image every container runs, e.g. `ghcr.io/causeway/causeway:0.1.0`. */
  readonly image: string;
  /** Paths the real admin listener answers 200 to. */
  readonly adminPaths: ReadonlySet<string>;
  /** Replicas each Deployment must have, by name. */
  readonly replicas: Readonly<Record<string, number>>;
}

const KNOWN_KINDS = new Set(['ConfigMap', 'Deployment', 'Service', 'PersistentVolumeClaim', 'NetworkPolicy']);
const CREATE_SECRET = /kubectl create secret generic (\S+)((?:\s+--from-file=\S+)+)/g;

/** Reads and parses every `*.yaml` in `dir` (not recursive, like `kubectl apply -f DIR`). */
export function loadManifests(dir: string): ManifestSet {
  const manifests: Manifest[] = [];
  const secrets = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    for (const match of text.matchAll(CREATE_SECRET)) {
      const keys = secrets.get(match[1]!) ?? new Set<string>();
      for (const flag of match[2]!.trim().split(/\s+/)) {
        const source = flag.slice('--from-file='.length);
        const eq = source.indexOf('=');
        keys.add(eq > 0 ? source.slice(0, eq) : basename(source));
      }
      secrets.set(match[1]!, keys);
    }
    parseAllDocuments(text).forEach((doc, i) => {
      if (doc.errors.length > 0) {
        problems.push(`${name} document ${i + 1}: ${doc.errors[0]!.message}`);
        return;
      }
      const object = doc.toJS() as K8sObject | null;
      if (object !== null) manifests.push({ file: name, object });
    });
  }
  return { manifests, secrets, problems };
}

function matches(selector: Labels | undefined, labels: Labels | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The mount of `container` that holds `path`, and the file's path inside that volume. */
function mountOf(container: Container, path: string): { mount: Mount; rest: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const base = mount.mountPath.replace(/\/$/, '');
    if (path.startsWith(`${base}/`)) return { mount, rest: path.slice(base.length + 1) };
  }
  return undefined;
}

/** Keys a configMap/secret volume shows as files: all keys, or the `items` mapping (path → key). */
function volumeFiles(volume: { items?: { key: string; path: string }[] }, keys: Iterable<string>): Map<string, string> {
  if (volume.items) return new Map(volume.items.map((item) => [item.path, item.key]));
  return new Map([...keys].map((key) => [key, key]));
}

/**
 * Checks a parsed manifest set; returns one line per problem (empty when everything holds together).
 */
export function checkManifests(set: ManifestSet, context: CheckContext): string[] {
  const problems = [...set.problems];
  const byKind = (kind: string) => set.manifests.filter((m) => m.object.kind === kind);
  const named = (kind: string, name: string) => byKind(kind).find((m) => m.object.metadata?.name === name);
  const seen = new Set<string>();
  for (const { file, object } of set.manifests) {
    const id = `${object.kind}/${object.metadata?.name}`;
    if (!object.apiVersion || !object.kind || !object.metadata?.name) problems.push(`${file}: an object without apiVersion, kind or metadata.name`);
    else if (!KNOWN_KINDS.has(object.kind)) problems.push(`${file}: ${id}: unexpected kind`);
    if (seen.has(id)) problems.push(`${file}: ${id} is defined twice`);
    seen.add(id);
  }

  const work = mkdtempSync(join(tmpdir(), 'causeway-k8s-'));
  try {
    for (const { file, object } of byKind('Deployment')) checkDeployment(file, object);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const { file, object } of byKind('Service')) checkSelectorPorts(file, object, object.spec?.selector, object.spec?.ports ?? [], 'targetPort');
  for (const { file, object } of byKind('NetworkPolicy')) {
    const ports = (object.spec?.ingress ?? []).flatMap((rule) => rule.ports ?? []);
    checkSelectorPorts(file, object, object.spec?.podSelector?.matchLabels, ports, 'port');
  }
  return problems;

  function podsSelectedBy(selector: Labels | undefined): K8sObject[] {
    return byKind('Deployment')
      .map((m) => m.object)
      .filter((d) => matches(selector, d.spec?.template?.metadata?.labels));
  }

  function checkSelectorPorts(file: string, object: K8sObject, selector: Labels | undefined, ports: Port[], field: 'targetPort' | 'port'): void {
    const id = `${object.kind}/${object.metadata?.name}`;
    const pods = podsSelectedBy(selector);
    if (pods.length === 0) {
      problems.push(`${file}: ${id}: its selector matches no Deployment's pods`);
      return;
    }
    for (const port of ports) {
      const target = port[field];
      for (const pod of pods) {
        const containerPorts = (pod.spec?.template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
        const found = typeof target === 'string' ? containerPorts.some((p) => p.name === target) : containerPorts.some((p) => p.containerPort === target);
        if (!found) problems.push(`${file}: ${id}: ${field} ${String(target)} is no container port of Deployment/${pod.metadata?.name}`);
      }
    }
  }

  function checkDeployment(file: string, object: K8sObject): void {
    const name = object.metadata?.name ?? '?';
    const where = `${file}: Deployment/${name}`;
    const pod = object.spec?.template?.spec;
    if (!pod) {
      problems.push(`${where}: no pod template`);
      return;
    }
    if (!matches(object.spec?.selector?.matchLabels, object.spec?.template?.metadata?.labels)) problems.push(`${where}: selector does not match the pod template's labels`);
    const wanted = context.replicas[name];
    if (wanted !== undefined && object.spec?.replicas !== wanted) problems.push(`${where}: replicas ${object.spec?.replicas} (expected ${wanted})`);
    const security = pod.securityContext;
    if (security?.runAsNonRoot !== true || security.runAsUser !== 10001 || security.runAsGroup !== 10001) problems.push(`${where}: pod must run as non-root uid/gid 10001`);

    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const volume of volumes.values()) {
      if (volume.configMap && !named('ConfigMap', volume.configMap.name)) problems.push(`${where}: volume ${volume.name}: no ConfigMap ${volume.configMap.name}`);
      if (volume.secret && !set.secrets.has(volume.secret.secretName)) {
        problems.push(`${where}: volume ${volume.name}: Secret ${volume.secret.secretName} is created by no documented kubectl command`);
      }
      if (volume.persistentVolumeClaim && !named('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)) {
        problems.push(`${where}: volume ${volume.name}: no PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName}`);
      }
    }
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    const mounted = new Set(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
    for (const volume of volumes.keys()) if (!mounted.has(volume)) problems.push(`${where}: volume ${volume} is mounted by no container`);

    /** The file at `path` in `container`: which volume and key, or a problem. */
    const fileAt = (container: Container, path: string, what: string): { volume: Volume; key: string; mount: Mount } | undefined => {
      const found = mountOf(container, path);
      if (!found) {
        problems.push(`${where}: container ${container.name}: ${what} ${path} is on no mounted volume`);
        return undefined;
      }
      const volume = volumes.get(found.mount.name);
      if (!volume) return undefined;
      const source = volume.configMap ?? volume.secret;
      if (!source) return { volume, key: found.rest, mount: found.mount };
      const keys = volume.configMap ? Object.keys(named('ConfigMap', volume.configMap.name)?.object.data ?? {}) : [...(set.secrets.get(volume.secret!.secretName) ?? [])];
      const key = volumeFiles(source, keys).get(found.rest);
      if (key === undefined || !keys.includes(key)) {
        const owner = volume.configMap ? `ConfigMap ${volume.configMap.name}` : `Secret ${volume.secret!.secretName}`;
        problems.push(`${where}: container ${container.name}: ${what} ${path}: ${owner} has no key ${found.rest}`);
        return undefined;
      }
      return { volume, key, mount: found.mount };
    };

    for (const container of containers) {
      const cw = `${where}: container ${container.name}`;
      if (container.image !== context.image) problems.push(`${cw}: image ${container.image} (expected ${context.image})`);
      const sc = container.securityContext;
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${cw}: readOnlyRootFilesystem must be true`);
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${cw}: allowPrivilegeEscalation must be false`);
      if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${cw}: capabilities must drop ALL`);
      for (const mount of container.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) problems.push(`${cw}: mount ${mount.mountPath} names no volume ${mount.name}`);
        const volume = volumes.get(mount.name);
        if ((volume?.configMap || volume?.secret) && mount.readOnly !== true) problems.push(`${cw}: ${mount.mountPath} holds config or secrets and must be readOnly`);
      }
      for (const env of container.env ?? []) {
        if (env.name.endsWith('_FILE') && env.value) fileAt(container, env.value, env.name);
      }
    }

    for (const container of pod.containers ?? []) checkProgram(container);

    function checkProgram(container: Container): void {
      const cw = `${where}: container ${container.name}`;
      const args = container.args ?? [];
      const role = args[0];
      const configFlag = args.indexOf('--config');
      if (!role || !['server', 'agent', 'client'].includes(role) || configFlag < 0 || !args[configFlag + 1]) {
        problems.push(`${cw}: args must be [server|agent|client, --config, FILE]`);
        return;
      }
      const ports = container.ports ?? [];
      const portNamed = (portName: string) => ports.find((p) => p.name === portName);
      for (const [kind, probe] of [['livenessProbe', container.livenessProbe], ['readinessProbe', container.readinessProbe]] as const) {
        const get = probe?.httpGet;
        if (!get?.path || get.port === undefined) {
          problems.push(`${cw}: ${kind} must be an httpGet with a path and a port`);
          continue;
        }
        if (!context.adminPaths.has(get.path)) problems.push(`${cw}: ${kind} path ${get.path} is not served by the admin listener`);
        const port = typeof get.port === 'string' ? portNamed(get.port) : ports.find((p) => p.containerPort === get.port);
        if (!port) problems.push(`${cw}: ${kind} port ${String(get.port)} is no port of the container`);
        else if (port.name !== 'admin') problems.push(`${cw}: ${kind} must ask the admin port, not ${port.name ?? port.containerPort}`);
      }
      const configPath = args[configFlag + 1]!;
      const configFile = fileAt(container, configPath, '--config');
      if (!configFile?.volume.configMap) {
        if (configFile) problems.push(`${cw}: --config ${configPath} should come from a ConfigMap`);
        return;
      }
      const text = named('ConfigMap', configFile.volume.configMap.name)!.object.data![configFile.key]!;
      const local = join(work, `${name}-${container.name}-${basename(configPath)}`);
      writeFileSync(local, text);
      const label = `${file}: ConfigMap ${configFile.volume.configMap.name} key ${configFile.key}`;
      let config: { admin?: { host: string; port: number }; listen?: { port: number }; credentials?: string; dataDir?: string; server?: { host: string; port: number } };
      try {
        if (role === 'server') config = loadServerConfig(local);
        else if (role === 'agent') config = loadAgentConfig(local);
        else {
          const client = loadClientConfig(local);
          checkClientExposure(client, local);
          config = client;
        }
      } catch (err) {
        problems.push(`${label}: ${(err as Error).message.replace(local, basename(configPath))}`);
        return;
      }
      const envNames = new Set((container.env ?? []).map((e) => e.name));
      if (!config.admin) problems.push(`${label}: no admin listener, so the probes have nothing to ask`);
      else {
        if (config.admin.port !== portNamed('admin')?.containerPort) problems.push(`${label}: admin port ${config.admin.port} is not the containerPort named admin (${portNamed('admin')?.containerPort})`);
        if (config.admin.host !== '0.0.0.0' && config.admin.host !== '::') problems.push(`${label}: admin listens on ${config.admin.host}, which the kubelet's probes cannot reach`);
        if (!envNames.has('CAUSEWAY_ADMIN_TOKEN_FILE') && !envNames.has('CAUSEWAY_ADMIN_TOKEN')) problems.push(`${cw}: the admin listener is beyond loopback and needs CAUSEWAY_ADMIN_TOKEN_FILE`);
      }
      const listenPortName = role === 'server' ? 'grpc' : role === 'client' ? 'proxy' : undefined;
      if (listenPortName && config.listen?.port !== portNamed(listenPortName)?.containerPort) {
        problems.push(`${label}: listen port ${config.listen?.port} is not the containerPort named ${listenPortName} (${portNamed(listenPortName)?.containerPort})`);
      }
      if (role !== 'server') {
        if (!config.credentials && !envNames.has('CAUSEWAY_CREDENTIALS_FILE')) problems.push(`${label}: no credentials`);
        if (config.credentials) {
          const credential = fileAt(container, config.credentials, 'credentials');
          if (credential && !credential.volume.secret) problems.push(`${label}: credentials ${config.credentials} must come from a Secret`);
        }
      }
      if (role === 'server' && config.dataDir) {
        const found = mountOf(container, posix.join(config.dataDir, 'x'));
        const volume = found && volumes.get(found.mount.name);
        if (!found || found.mount.readOnly || !(volume?.persistentVolumeClaim || volume?.emptyDir !== undefined)) {
          problems.push(`${label}: dataDir ${config.dataDir} must be on a writable volume (the root filesystem is read-only)`);
        }
      }
      if (role === 'client' && config.server) {
        const service = named('Service', config.server.host);
        if (service && !(service.object.spec?.ports ?? []).some((p) => p.port === config.server!.port)) {
          problems.push(`${label}: server ${config.server.host}:${config.server.port}: Service ${config.server.host} has no port ${config.server.port}`);
        }
        if (!service && !config.server.host.includes('.')) problems.push(`${label}: server ${config.server.host} names no Service`);
      }
    }
  }
}

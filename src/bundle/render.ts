import { stringify } from 'yaml';
import type { AllowFlagEntry } from '../config/allow-flag.js';
import { formatHostPort } from '../policy/host.js';

/** Where the customer's targets get their TLS certificates from; decides what the workloads trust. */
export const TARGET_CERT_KINDS = ['public', 'internal-pki', 'self-signed'] as const;
export type TargetCertKind = (typeof TARGET_CERT_KINDS)[number];

/** Paths and names shared with the Dockerfile, the systemd unit and deploy/kubernetes (conventions). */
export const CONTAINER = Object.freeze({
  image: 'ghcr.io/causeway/causeway',
  uid: 10001,
  configDir: '/etc/causeway/config',
  secretsDir: '/etc/causeway/secrets',
  adminPort: 9090,
  configMap: 'causeway-agent-config',
  secret: 'causeway-agent-credentials',
  deployment: 'causeway-agent',
  replicas: 2,
});

/** Everything a bundle says, gathered from the command line and the server's data directory. */
export interface BundleSpec {
  /** Full identity, e.g. `acme-onprem@agents.acme.causeway`. */
  readonly identity: string;
  readonly trustDomain: string;
  /** `host:port` the customer's network dials (the credential's server). */
  readonly server: string;
  /** Allowlist entries, one per host. */
  readonly allow: readonly AllowFlagEntry[];
  /** Name entries may dial a loopback address they resolve to. */
  readonly allowLoopback: boolean;
  /** Resolvers for the private names (`dns.servers`); empty for the system's. */
  readonly dnsServers: readonly string[];
  /** Admin listener for a plain host or a Docker container (loopback). */
  readonly admin: string;
  /** Corporate HTTP proxy to the server, without credentials. */
  readonly proxy?: { readonly url: string; readonly noProxy: readonly string[] } | undefined;
  /** What the customer said about the targets' certificates; empty when unknown. */
  readonly targetCerts: readonly TargetCertKind[];
  /** Causeway version: the image tag and the release to install. */
  readonly version: string;
  /** When the bundle was made (ISO 8601). */
  readonly createdAt: string;
}

/** The files of a bundle, as text. */
export interface RenderedBundle {
  readonly agentYaml: string;
  /** The agent.yaml inside the Kubernetes ConfigMap: admin on 0.0.0.0:9090, credentials from the Secret. */
  readonly kubernetesAgentYaml: string;
  readonly kubernetesYaml: string;
  readonly installMd: string;
}

/** The agent config of a bundle. `credentials` is left out where CAUSEWAY_CREDENTIALS_FILE names the file. */
export function renderAgentYaml(spec: BundleSpec, where: { admin: string; credentials?: string; comment: string }): string {
  const q = (text: string): string => JSON.stringify(text);
  const lines = [
    `# Causeway agent ${spec.identity}, written by \`causeway agent-bundle\` (Causeway ${spec.version}) at ${spec.createdAt}.`,
    `# ${where.comment}`,
    where.credentials === undefined
      ? '# The credential file comes from CAUSEWAY_CREDENTIALS_FILE.'
      : `credentials: ${q(where.credentials)}     # relative to this file; CAUSEWAY_CREDENTIALS_FILE wins over it`,
    `server: ${q(spec.server)}     # the tunnel server: the only address the agent dials out to`,
    `admin: ${q(where.admin)}     # /healthz /readyz /metrics /status`,
    'allow:     # default deny: the agent dials only these hosts and ports (edits are picked up live)',
  ];
  for (const entry of spec.allow) {
    lines.push(`  - host: ${q(entry.host)}`);
    lines.push(`    ports: [${entry.ports.map((p) => (typeof p === 'number' ? String(p) : q(p))).join(', ')}]`);
    if (spec.allowLoopback) lines.push('    allowLoopback: true     # the name may resolve to this host itself');
  }
  if (spec.dnsServers.length > 0) {
    lines.push('dns:');
    lines.push(`  servers: [${spec.dnsServers.map(q).join(', ')}]     # asked directly for the names above`);
  }
  if (spec.proxy) {
    lines.push('proxy:     # connections to the server go through this HTTP proxy (CONNECT); targets are dialled directly');
    lines.push(`  url: ${q(spec.proxy.url)}`);
    lines.push(`  noProxy: [${spec.proxy.noProxy.map(q).join(', ')}]`);
    lines.push('  # Basic auth: usernameFile: /etc/causeway/secrets/proxy-user, passwordFile: /etc/causeway/secrets/proxy-password');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The Kubernetes manifest of one agent: ConfigMap `causeway-agent-config` (agent.yaml), Secret
 * `causeway-agent-credentials` (agent.json and the admin token) and Deployment `causeway-agent` with
 * two replicas, non-root, read-only root filesystem, probes on /healthz and /readyz.
 */
export function renderKubernetesYaml(spec: BundleSpec, kubernetesAgentYaml: string, credentialJson: string, adminToken: string): string {
  const labels = { 'app.kubernetes.io/name': CONTAINER.deployment, 'app.kubernetes.io/part-of': 'causeway', 'app.kubernetes.io/version': spec.version };
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CONTAINER.configMap, labels },
    data: { 'agent.yaml': kubernetesAgentYaml },
  };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CONTAINER.secret, labels },
    type: 'Opaque',
    data: { 'agent.json': base64(credentialJson), 'admin-token': base64(adminToken) },
  };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: CONTAINER.deployment, labels },
    spec: {
      replicas: CONTAINER.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': CONTAINER.deployment } },
      // One replica keeps serving while the other is replaced.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 45,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: CONTAINER.uid,
            runAsGroup: CONTAINER.uid,
            fsGroup: CONTAINER.uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': CONTAINER.deployment } } },
                },
              ],
            },
          },
          containers: [
            {
              name: 'agent',
              image: `${CONTAINER.image}:${spec.version}`,
              args: ['agent', '--config', `${CONTAINER.configDir}/agent.yaml`],
              env: [
                { name: 'CAUSEWAY_CREDENTIALS_FILE', value: `${CONTAINER.secretsDir}/agent.json` },
                { name: 'CAUSEWAY_ADMIN_TOKEN_FILE', value: `${CONTAINER.secretsDir}/admin-token` },
              ],
              ports: [{ name: 'admin', containerPort: CONTAINER.adminPort, protocol: 'TCP' }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'admin' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'admin' }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'config', mountPath: CONTAINER.configDir, readOnly: true },
                { name: 'secrets', mountPath: CONTAINER.secretsDir, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: CONTAINER.configMap } },
            // Group-readable for fsGroup 10001: Secret files are owned by root.
            { name: 'secrets', secret: { secretName: CONTAINER.secret, defaultMode: 0o440 } },
          ],
        },
      },
    },
  };
  const header = [
    `# Causeway agent ${spec.identity} for Kubernetes, written by \`causeway agent-bundle\` at ${spec.createdAt}.`,
    '# kubectl apply -n NAMESPACE -f kubernetes.yaml',
    '# The Secret below holds the agent\'s private key: keep this file as secret as agent.json.',
  ].join('\n');
  const docs = [configMap, secret, deployment].map((doc) => stringify(doc, { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false }));
  return `${header}\n${docs.join('---\n')}`;
}

/** INSTALL.md: the egress rule, Docker, systemd and Kubernetes steps, and the certificate note. */
export function renderInstallMd(spec: BundleSpec): string {
  const adminPort = spec.admin.slice(spec.admin.lastIndexOf(':') + 1);
  const image = `${CONTAINER.image}:${spec.version}`;
  // Port 0 (any free port, for tests) cannot be probed from outside: the health check keeps its default.
  const healthPort = adminPort === String(CONTAINER.adminPort) || adminPort === '0' ? '' : `  -e CAUSEWAY_HEALTH_PORT=${adminPort} \\\n`;
  const targets = spec.allow.map((e) => `| \`${e.host}\` | ${e.ports.join(', ')} |`).join('\n');
  const egress = spec.proxy
    ? [
        `The agent reaches the server through your HTTP proxy ${spec.proxy.url} (set in agent.yaml):`,
        '',
        '| from | to | protocol | direction |',
        '|---|---|---|---|',
        `| the agent's host (or pods) | ${proxyHostPort(spec.proxy.url)} (the proxy) | TCP, HTTP CONNECT | outbound only |`,
        `| the proxy | ${spec.server} | TCP (TLS inside CONNECT) | outbound only |`,
        '',
        `The proxy must allow \`CONNECT ${spec.server}\`. If it wants Basic auth, put the user and the`,
        'password in two files and add `usernameFile:` / `passwordFile:` under `proxy:` in agent.yaml (or set',
        'CAUSEWAY_PROXY_PASSWORD_FILE); never write the password into agent.yaml.',
      ]
    : [
        '| from | to | protocol | direction |',
        '|---|---|---|---|',
        `| the agent's host (or pods) | ${spec.server} | TCP (mutual TLS, gRPC) | outbound only |`,
        '',
        'Behind an HTTP proxy? Set `HTTPS_PROXY=http://proxy:3128` for the agent, or ask the operator for a',
        'bundle made with `--proxy`.',
      ];
  const dns =
    spec.dnsServers.length > 0
      ? `The agent asks ${spec.dnsServers.join(', ')} for the target names (DNS, UDP and TCP port 53).`
      : `The agent resolves ${hostOf(spec.server)} and the target names with the host's resolver.`;
  return `# Causeway agent \`${spec.identity}\`

Written by \`causeway agent-bundle\` (Causeway ${spec.version}) at ${spec.createdAt}. Install it unchanged.
The agent dials **out** to the tunnel server and then dials only the hosts listed below
inside your network. It opens no inbound port.

| file | what it is | handle as |
|---|---|---|
| agent.yaml | agent config: server address, allowlist, admin listener | config |
| agent.json | the agent's credential: its private key (the only copy) and the server's CA | **secret**, mode 0600 |
| kubernetes.yaml | ConfigMap, Secret (holds agent.json) and Deployment for Kubernetes | **secret** |
| INSTALL.md | this file | |

## 1. Open one egress rule

${egress.join('\n')}

Nothing inbound. ${dns}

The agent then connects, inside your network, only to:

| host | TCP ports |
|---|---|
${targets}

## 2. Install (pick one)

### Docker

\`\`\`sh
sudo install -d -m 0755 ${CONTAINER.configDir} ${CONTAINER.secretsDir}
sudo install -m 0644 agent.yaml ${CONTAINER.configDir}/agent.yaml
sudo install -m 0400 -o ${CONTAINER.uid} -g ${CONTAINER.uid} agent.json ${CONTAINER.secretsDir}/agent.json
docker run -d --name causeway-agent --restart unless-stopped \\
  --read-only --cap-drop ALL --security-opt no-new-privileges \\
  -v ${CONTAINER.configDir}:${CONTAINER.configDir}:ro \\
  -v ${CONTAINER.secretsDir}:${CONTAINER.secretsDir}:ro \\
  -e CAUSEWAY_CREDENTIALS_FILE=${CONTAINER.secretsDir}/agent.json \\
${healthPort}  ${image} agent --config ${CONTAINER.configDir}/agent.yaml
docker logs -f causeway-agent      # wait for "registered with the server"
\`\`\`

The image runs as uid ${CONTAINER.uid} (hence the owner of agent.json), writes nothing, and its health check asks
/healthz on the admin port inside the container. Private DNS: a container uses the host's resolvers,
except that Docker replaces a loopback resolver (systemd-resolved's 127.0.0.53) with public ones; then
add \`--dns <your internal resolver>\` to the line above.

### systemd (single-file executable)

\`\`\`sh
# causeway: the single-file executable of Causeway ${spec.version}; causeway-agent.service: deploy/systemd/ of that release
sudo install -m 0755 causeway /usr/local/bin/causeway
sudo install -d -m 0755 /etc/causeway
sudo install -m 0644 agent.yaml /etc/causeway/agent.yaml
sudo install -m 0600 agent.json /etc/causeway/agent.json
sudo install -m 0644 causeway-agent.service /etc/systemd/system/causeway-agent.service
sudo systemctl daemon-reload
sudo systemctl enable --now causeway-agent
journalctl -u causeway-agent -f    # wait for "registered with the server"
\`\`\`

The unit runs the agent as a throw-away user with a read-only system; it hands agent.json over with
\`LoadCredential=\` (CAUSEWAY_CREDENTIALS_FILE), so the file stays readable by root only.
\`systemctl reload causeway-agent\` re-reads the allowlist.

### Kubernetes

\`\`\`sh
kubectl create namespace causeway            # or use one you have
kubectl apply -n causeway -f kubernetes.yaml
kubectl -n causeway rollout status deployment/${CONTAINER.deployment}
\`\`\`

${CONTAINER.replicas} replicas of the same identity both register; the server spreads tunnels over them. The pods
need the egress rule above (mind NetworkPolicies). The ConfigMap's agent.yaml listens for probes on
0.0.0.0:${CONTAINER.adminPort}; /metrics and /status there want the bearer token in the Secret's \`admin-token\`.
kubernetes.yaml holds the private key: keep it like agent.json (or load the Secret from your secret store).

## 3. Check

\`\`\`sh
curl -fsS http://127.0.0.1:${adminPort}/readyz      # "ready" once registered with the server
\`\`\`

(In Kubernetes the pods turn Ready.) \`not ready: …\` says what is missing, e.g. a refused proxy or an
unreachable server.

## 4. The targets' certificates

${certificateNote(spec)}

## Changing things later

- Allowlist: edit \`allow:\` in agent.yaml (the ConfigMap in Kubernetes); the agent applies it without a
  restart and closes live tunnels the new list no longer allows.
- agent.json lost or leaked: tell the operator, who disables this identity at once
  (\`causeway identity disable --name ${spec.identity}\`) and sends a new credential.
`;
}

/** What the cloud workloads must trust for each kind of target certificate. */
export function certificateNote(spec: Pick<BundleSpec, 'allow' | 'targetCerts'>): string {
  const kinds = spec.targetCerts.length > 0 ? spec.targetCerts : TARGET_CERT_KINDS;
  const example = spec.allow.find((e) => !e.host.includes('*') && !e.host.includes('/'))?.host ?? 'the target name';
  const said = spec.targetCerts.length > 0 ? ` Your targets use: ${spec.targetCerts.join(', ')}.` : '';
  const lines = [
    'The agent relays TCP bytes and never terminates TLS: your targets keep their certificates and nothing',
    'changes on them. TLS runs end to end between the cloud workload and the target, so it is the',
    `workload (the operator's side) that must trust the target's certificate for the exact name it dials,`,
    `e.g. ${example}.${said}`,
    '',
  ];
  const text: Record<TargetCertKind, string> = {
    public: '- **Public CA**: nothing to hand over; the workloads\' default trust stores verify it.',
    'internal-pki':
      '- **Internal PKI**: send the operator your internal root CA certificate (public part only, never a key);\n' +
      '  the workloads add it to what they trust (curl `--cacert`, `GIT_SSL_CAINFO`, `NODE_EXTRA_CA_CERTS`, the OS store).',
    'self-signed':
      '- **Self-signed**: send the operator each certificate (or its SHA-256 fingerprint) to trust or pin; it must\n' +
      '  name the host the workloads dial in its subjectAltName, or verification fails.',
  };
  for (const kind of kinds) lines.push(text[kind]);
  lines.push('- Non-TLS ports (SSH on 22, say) authenticate end to end with their own protocol: send the SSH host-key', '  fingerprints so the workloads can pin them.');
  return lines.join('\n');
}

/** The whole bundle. */
export function renderBundle(spec: BundleSpec, credentialJson: string, adminToken: string): RenderedBundle {
  const agentYaml = renderAgentYaml(spec, {
    admin: spec.admin,
    credentials: './agent.json',
    comment: 'Run: causeway agent --config agent.yaml (see INSTALL.md for Docker, systemd and Kubernetes).',
  });
  const kubernetesAgentYaml = renderAgentYaml(spec, {
    admin: `0.0.0.0:${CONTAINER.adminPort}`,
    comment: 'Kubernetes: the probes reach the admin listener on the pod address; the rest of it wants the admin token.',
  });
  return {
    agentYaml,
    kubernetesAgentYaml,
    kubernetesYaml: renderKubernetesYaml(spec, kubernetesAgentYaml, credentialJson, adminToken),
    installMd: renderInstallMd(spec),
  };
}

function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function proxyHostPort(url: string): string {
  try {
    const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
    return formatHostPort(parsed.hostname.replace(/^\[|\]$/g, ''), parsed.port);
  } catch {
    return url;
  }
}

/** Thrown for a command line that does not parse; printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const MAIN_HELP = `causeway — reach hosts inside a private network from the cloud, over mutual-TLS gRPC,
with no inbound port on the private side.

Usage: causeway <command> [options]

Programs:
  server      the tunnel server (CA front, ACLs, relay, audit)        causeway server --config server.yaml
  agent       runs in the private network, dials allowlisted hosts    causeway agent --config agent.yaml
  client      local proxy (CONNECT, HTTP, SOCKS5), forwards, ssh stdio causeway client --config client.yaml

Admin:
  ca init             create the trust domain's root and intermediate CA
  ca rotate-intermediate   replace the signing intermediate, with an overlap
  agent-bundle        onboard a customer: agent identity, agent.yaml, credential, Kubernetes manifest
                      and install steps in one directory (--name, --server, --allow HOST:PORTS, --out)
  identity create     register an agent or client identity and write its credential file
  identity list|show|disable|enable|add-key|remove-key|set-cidrs
                      inspect, revoke, rotate keys, limit source networks (live on a running server)
  policy check        explain what the ACL decides for --client ID --target HOST:PORT (no traffic)
  audit query|verify  read and check the server's hash-chained audit store
  quickstart          everything on this machine: a real git clone through the tunnel

Run 'causeway <command> --help' for a command's options; 'causeway --version' prints the version.
Every config key: docs/config.md; running it for real: docs/operations.md.
Environment: CAUSEWAY_LOG_LEVEL (debug|info|warn|error, default info). Logs go to stderr as JSON lines.
`;

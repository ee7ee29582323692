import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startDelayLine, stopChild, tcpDial, waitForPort, type Scenario } from '../scenario.js';

/** Makes a P-256 CA and leaves (SAN localhost) with the openssl CLI; returns file paths. */
function makeCerts(dir: string, names: string[]): void {
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'ca.key'));
  ssl('req', '-x509', '-new', '-key', join(dir, 'ca.key'), '-subj', '/CN=bench-ca', '-days', '2', '-out', join(dir, 'ca.pem'));
  for (const name of names) {
    const key = join(dir, `${name}.key`);
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key);
    ssl('req', '-new', '-key', key, '-subj', '/CN=localhost', '-out', join(dir, `${name}.csr`));
    execFileSync('sh', [
      '-c',
      `printf 'subjectAltName=DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ${join(dir, `${name}.ext`)}`,
    ]);
    ssl(
      'x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'),
      '-CAcreateserial', '-days', '2', '-extfile', join(dir, `${name}.ext`), '-out', join(dir, `${name}.pem`),
    );
  }
}

/**
 * The same topology as Causeway done by a mature C tool: source → socat (entry) → mTLS → socat (relay)
 * → mTLS → socat (exit) → target, ECDSA P-256 certificates, a forked process per connection.
 */
export async function startSocat(dir: string, targetPort: number): Promise<Scenario> {
  mkdirSync(dir, { recursive: true });
  makeCerts(dir, ['entry', 'relay', 'exit']);
  const tls = (name: string): string =>
    `cert=${join(dir, `${name}.pem`)},key=${join(dir, `${name}.key`)},cafile=${join(dir, 'ca.pem')},verify=1`;
  const socat = (a: string, b: string): ChildProcess => spawn('socat', ['-b', '65536', a, b], { stdio: ['ignore', 'ignore', 'ignore'] });

  const exitPort = await freePort();
  const exit = socat(`OPENSSL-LISTEN:${exitPort},bind=127.0.0.1,reuseaddr,fork,backlog=4096,${tls('exit')}`, `TCP:127.0.0.1:${targetPort},nodelay`);
  await waitForPort(exitPort);
  const relayPort = await freePort();
  const relay = socat(
    `OPENSSL-LISTEN:${relayPort},bind=127.0.0.1,reuseaddr,fork,backlog=4096,${tls('relay')}`,
    `OPENSSL:127.0.0.1:${exitPort},commonname=localhost,${tls('relay')}`,
  );
  await waitForPort(relayPort);
  const delay = await startDelayLine(relayPort);
  const entry = async (port: number): Promise<{ child: ChildProcess; local: number }> => {
    const local = await freePort();
    const child = socat(
      `TCP-LISTEN:${local},bind=127.0.0.1,reuseaddr,fork,backlog=4096,nodelay`,
      `OPENSSL:127.0.0.1:${port},commonname=localhost,${tls('entry')}`,
    );
    await waitForPort(local);
    return { child, local };
  };
  const main = await entry(relayPort);
  const delayed = await entry(delay.port);
  return {
    name: 'socat2hop',
    dial: tcpDial(main.local),
    dialDelayed: tcpDial(delayed.local),
    processes: { relay: relay.pid!, entry: main.child.pid!, exit: exit.pid! },
    server: { pid: relay.pid!, forks: true },
    maxIdle: 200,
    stop: async () => {
      await Promise.all([stopChild(main.child), stopChild(delayed.child), delay.stop()]);
      await Promise.all([stopChild(relay), stopChild(exit)]);
    },
  };
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startDelayLine, stopChild, tcpDial, waitForPort, type Scenario } from '../scenario.js';

const CIPHER = 'aes128-gcm@openssh.com';

/**
 * `ssh -L` through a local sshd on a loopback port: a temporary host key and authorized_keys, the
 * aes128-gcm cipher, one ssh session carrying every forwarded connection (as ssh users do).
 */
export async function startSsh(dir: string, targetPort: number): Promise<Scenario> {
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', userKey]);
  writeFileSync(join(dir, 'authorized_keys'), execFileSync('cat', [`${userKey}.pub`]), { mode: 0o600 });
  const sshdPort = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${sshdPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      `Ciphers ${CIPHER}`,
      'MaxStartups 100:30:200',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPort(sshdPort);
  const delay = await startDelayLine(sshdPort);

  const forward = async (port: number): Promise<{ child: ChildProcess; local: number }> => {
    const local = await freePort();
    const child = spawn(
      'ssh',
      [
        '-N',
        '-L',
        `127.0.0.1:${local}:127.0.0.1:${targetPort}`,
        '-p',
        String(port),
        '-i',
        userKey,
        '-c',
        CIPHER,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'ExitOnForwardFailure=yes',
        '-o',
        'LogLevel=ERROR',
        'root@127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    await waitForPort(local);
    return { child, local };
  };
  const main = await forward(sshdPort);
  const delayed = await forward(delay.port);
  return {
    name: 'ssh',
    dial: tcpDial(main.local),
    dialDelayed: tcpDial(delayed.local),
    processes: { sshd: sshd.pid!, ssh: main.child.pid! },
    server: { pid: sshd.pid!, forks: true },
    stop: async () => {
      await Promise.all([stopChild(main.child), stopChild(delayed.child), delay.stop()]);
      await stopChild(sshd);
    },
  };
}

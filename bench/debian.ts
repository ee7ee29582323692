import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Installs the Debian packages the comparison scenarios need when their programs are missing. */
export function ensureDebianPackages(): void {
  const missing: string[] = [];
  if (!existsSync('/usr/bin/socat')) missing.push('socat');
  if (!existsSync('/usr/sbin/sshd')) missing.push('openssh-server');
  if (!existsSync('/usr/bin/ssh')) missing.push('openssh-client');
  if (!existsSync('/usr/bin/openssl')) missing.push('openssl');
  if (missing.length === 0) return;
  process.stderr.write(`bench: installing Debian packages: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

import { createHash, timingSafeEqual } from 'node:crypto';

/** Local proxy credentials: HTTP `Proxy-Authorization: Basic` and SOCKS5 username/password share them. */
export interface ProxyCredentials {
  readonly username: string;
  readonly password: string;
}

/** Checks local proxy credentials in constant time; with none configured every caller passes. */
export class ProxyAuth {
  private readonly digest: Buffer | undefined;

  constructor(credentials: ProxyCredentials | undefined) {
    this.digest = credentials ? digestOf(credentials.username, credentials.password) : undefined;
  }

  get required(): boolean {
    return this.digest !== undefined;
  }

  check(username: string, password: string): boolean {
    if (!this.digest) return true;
    return timingSafeEqual(this.digest, digestOf(username, password));
  }

  /** Checks a `Proxy-Authorization` header value; only the Basic scheme (RFC 7617) is understood. */
  checkHeader(value: string | undefined): boolean {
    if (!this.digest) return true;
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(value ?? '');
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    return this.check(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}

function digestOf(username: string, password: string): Buffer {
  return createHash('sha256').update(username).update('\0').update(password).digest();
}

import ipaddr from 'ipaddr.js';
import { parseAuthority } from './authority.js';
import {
  RSV,
  SOCKS_VERSION,
  SocksAddressType,
  SocksCommand,
  SocksMethod,
  SocksReply,
  USERPASS_VERSION,
  UserPassStatus,
  type SocksReplyCode,
} from './socks5-constants.js';

/** What the driver must do next: write bytes, close (after any writes), or open a tunnel. */
export type Socks5Action =
  | { readonly kind: 'write'; readonly bytes: Buffer }
  | { readonly kind: 'close'; readonly reason: string; readonly auth: boolean }
  | { readonly kind: 'connect'; readonly host: string; readonly port: number; readonly rest: Buffer };

/** The negotiation's states, in the order RFC 1928 §3–4 and RFC 1929 §2 run them. */
export type Socks5State = 'greeting' | 'auth' | 'request' | 'done';

/** A reply to the CONNECT request (§6); the bound address is not meaningful through a tunnel, so zeros. */
export function socksReply(code: SocksReplyCode): Buffer {
  return Buffer.from([SOCKS_VERSION, code, RSV, SocksAddressType.IPV4, 0, 0, 0, 0, 0, 0]);
}

/**
 * The server side of a SOCKS5 negotiation as a pure state machine: bytes in, actions out. It never
 * buffers more than one message (at most 513 bytes) plus what the client sent after its request.
 */
export class Socks5Negotiation {
  private state: Socks5State = 'greeting';
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly auth: { required: boolean; check: (username: string, password: string) => boolean }) {}

  get current(): Socks5State {
    return this.state;
  }

  push(chunk: Buffer): Socks5Action[] {
    if (this.state === 'done') return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const actions: Socks5Action[] = [];
    for (;;) {
      const before: Socks5State = this.state;
      const step = this.step();
      if (step === undefined) break;
      actions.push(...step);
      if (this.current === 'done' || this.current === before) break;
    }
    return actions;
  }

  private step(): Socks5Action[] | undefined {
    switch (this.state) {
      case 'greeting':
        return this.greeting();
      case 'auth':
        return this.userPass();
      case 'request':
        return this.request();
      case 'done':
        return undefined;
    }
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private fail(reason: string, bytes?: Buffer, auth = false): Socks5Action[] {
    this.state = 'done';
    return [...(bytes ? [{ kind: 'write' as const, bytes }] : []), { kind: 'close', reason, auth }];
  }

  private greeting(): Socks5Action[] | undefined {
    const b = this.buffer;
    if (b.length < 1) return undefined;
    if (b[0] !== SOCKS_VERSION) return this.fail(`not SOCKS version 5 (got ${b[0]})`);
    if (b.length < 2) return undefined;
    const count = b[1]!;
    if (count === 0) return this.fail('greeting offers no methods', Buffer.from([SOCKS_VERSION, SocksMethod.NO_ACCEPTABLE]));
    if (b.length < 2 + count) return undefined;
    const methods = [...this.take(2 + count).subarray(2)];
    const wanted = this.auth.required ? SocksMethod.USERNAME_PASSWORD : SocksMethod.NO_AUTH;
    if (!methods.includes(wanted)) {
      return this.fail(this.auth.required ? 'client does not offer username/password' : 'client does not offer "no authentication"', Buffer.from([SOCKS_VERSION, SocksMethod.NO_ACCEPTABLE]));
    }
    this.state = this.auth.required ? 'auth' : 'request';
    return [{ kind: 'write', bytes: Buffer.from([SOCKS_VERSION, wanted]) }];
  }

  private userPass(): Socks5Action[] | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const failure = Buffer.from([USERPASS_VERSION, UserPassStatus.FAILURE]);
    if (b[0] !== USERPASS_VERSION) return this.fail(`bad username/password version ${b[0]}`, failure);
    const ulen = b[1]!;
    if (b.length < 3 + ulen) return undefined;
    const plen = b[2 + ulen]!;
    if (b.length < 3 + ulen + plen) return undefined;
    const message = this.take(3 + ulen + plen);
    const username = message.subarray(2, 2 + ulen).toString('utf8');
    const password = message.subarray(3 + ulen).toString('utf8');
    if (!this.auth.check(username, password)) return this.fail('wrong proxy username or password', failure, true);
    this.state = 'request';
    return [{ kind: 'write', bytes: Buffer.from([USERPASS_VERSION, UserPassStatus.SUCCESS]) }];
  }

  private request(): Socks5Action[] | undefined {
    const b = this.buffer;
    if (b.length < 4) return undefined;
    if (b[0] !== SOCKS_VERSION) return this.fail(`request has version ${b[0]}`, socksReply(SocksReply.GENERAL_FAILURE));
    const command = b[1]!;
    const type = b[3]!;
    let addressEnd: number;
    if (type === SocksAddressType.IPV4) addressEnd = 4 + 4;
    else if (type === SocksAddressType.IPV6) addressEnd = 4 + 16;
    else if (type === SocksAddressType.DOMAIN) {
      if (b.length < 5) return undefined;
      addressEnd = 5 + b[4]!;
    } else return this.fail(`address type ${type} is not supported`, socksReply(SocksReply.ADDRESS_TYPE_NOT_SUPPORTED));
    if (b.length < addressEnd + 2) return undefined;
    const message = this.take(addressEnd + 2);
    if (command !== SocksCommand.CONNECT) {
      return this.fail(`command ${command} is not supported (only CONNECT)`, socksReply(SocksReply.COMMAND_NOT_SUPPORTED));
    }
    const port = message.readUInt16BE(addressEnd);
    let host: string;
    if (type === SocksAddressType.IPV4) host = [...message.subarray(4, 8)].join('.');
    else if (type === SocksAddressType.IPV6) host = ipaddr.fromByteArray([...message.subarray(4, 20)]).toString();
    else host = message.subarray(5, addressEnd).toString('latin1');
    const valid = parseAuthority(type === SocksAddressType.IPV6 ? `[${host}]:${port}` : `${host}:${port}`);
    if (!valid) return this.fail(`invalid destination ${JSON.stringify(host)} port ${port}`, socksReply(SocksReply.GENERAL_FAILURE));
    this.state = 'done';
    return [{ kind: 'connect', host, port, rest: Buffer.from(this.take(this.buffer.length)) }];
  }
}

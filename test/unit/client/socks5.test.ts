import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Socks5Negotiation, socksReply, type Socks5Action } from '../../../src/client/socks5.js';
import { SocksReply } from '../../../src/client/socks5-constants.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const open = () => new Socks5Negotiation({ required: false, check: () => true });
const locked = () => new Socks5Negotiation({ required: true, check: (u, p) => u === 'user' && p === 'pass' });
const userPass = (u: string, p: string) => Buffer.concat([Buffer.from([1, u.length]), Buffer.from(u), Buffer.from([p.length]), Buffer.from(p)]);

/** Actions with Buffers shown as hex, for readable comparisons. */
function show(actions: Socks5Action[]): unknown[] {
  return actions.map((a) => (a.kind === 'write' ? { write: a.bytes.toString('hex') } : a.kind === 'connect' ? { connect: `${a.host} ${a.port}`, rest: a.rest.toString('hex') } : { close: true }));
}

describe('Socks5Negotiation: successful negotiations', () => {
  it('no auth, domain CONNECT', () => {
    const n = open();
    assert.deepEqual(show(n.push(hex('05 01 00'))), [{ write: '0500' }]);
    assert.deepEqual(show(n.push(Buffer.concat([hex('05 01 00 03 0b'), Buffer.from('example.com'), hex('01bb')]))), [{ connect: 'example.com 443', rest: '' }]);
    assert.equal(n.current, 'done');
  });

  it('IPv4 and IPv6 addresses become canonical host text', () => {
    const v4 = open();
    v4.push(hex('05 01 00'));
    assert.deepEqual(show(v4.push(hex('05 01 00 01 0a000001 0016'))), [{ connect: '10.0.0.1 22', rest: '' }]);
    const v6 = open();
    v6.push(hex('05 01 00'));
    assert.deepEqual(show(v6.push(hex('05 01 00 04 20010db8000000000000000000000001 0050'))), [{ connect: '2001:db8::1 80', rest: '' }]);
  });

  it('greeting, request and early data in one chunk', () => {
    assert.deepEqual(show(open().push(hex('05 02 02 00  05 01 00 01 7f000001 1f90  cafe'))), [{ write: '0500' }, { connect: '127.0.0.1 8080', rest: 'cafe' }]);
  });

  it('one byte at a time', () => {
    const n = open();
    const all: Socks5Action[] = [];
    for (const byte of hex('05 01 00 05 01 00 01 7f000001 0050')) all.push(...n.push(Buffer.from([byte])));
    assert.deepEqual(show(all), [{ write: '0500' }, { connect: '127.0.0.1 80', rest: '' }]);
  });

  it('username/password (RFC 1929) when auth is on', () => {
    const n = locked();
    assert.deepEqual(show(n.push(hex('05 02 00 02'))), [{ write: '0502' }]);
    assert.deepEqual(show(n.push(userPass('user', 'pass'))), [{ write: '0100' }]);
    assert.deepEqual(show(n.push(hex('05 01 00 01 7f000001 0050'))), [{ connect: '127.0.0.1 80', rest: '' }]);
  });

  it('waits for more bytes without answering', () => {
    for (const partial of ['05', '05 03 00 01', '05 01 00 05', '05 01 00 05 01 00 03', '05 01 00 05 01 00 03 05 6162', '05 01 00 05 01 00 01 7f0000']) {
      const n = open();
      const actions = n.push(hex(partial)).filter((a) => a.kind !== 'write');
      assert.deepEqual(actions, [], partial);
      assert.notEqual(n.current, 'done', partial);
    }
  });
});

describe('Socks5Negotiation: every failure', () => {
  const cases: ReadonlyArray<readonly [string, () => Socks5Negotiation, string, string | undefined]> = [
    ['version 4 greeting', open, '04 01 0050 7f000001 00', undefined],
    ['garbage greeting', open, '47 45 54 20', undefined],
    ['zero methods', open, '05 00', '05ff'],
    ['no acceptable method (auth off, only user/pass offered)', open, '05 01 02', '05ff'],
    ['no acceptable method (auth on, only no-auth offered)', locked, '05 01 00', '05ff'],
    ['wrong password', locked, `05 01 02 ${userPass('user', 'nope').toString('hex')}`, '0101'],
    ['wrong sub-negotiation version', locked, '05 01 02 05 04 75736572 04 70617373', '0101'],
    ['request with version 4', open, '05 01 00 04 01 00 01 7f000001 0050', socksReply(SocksReply.GENERAL_FAILURE).toString('hex')],
    ['BIND', open, '05 01 00 05 02 00 01 7f000001 0050', socksReply(SocksReply.COMMAND_NOT_SUPPORTED).toString('hex')],
    ['UDP ASSOCIATE', open, '05 01 00 05 03 00 01 00000000 0000', socksReply(SocksReply.COMMAND_NOT_SUPPORTED).toString('hex')],
    ['unknown command', open, '05 01 00 05 09 00 01 7f000001 0050', socksReply(SocksReply.COMMAND_NOT_SUPPORTED).toString('hex')],
    ['unknown address type', open, '05 01 00 05 01 00 05 7f000001 0050', socksReply(SocksReply.ADDRESS_TYPE_NOT_SUPPORTED).toString('hex')],
    ['empty domain', open, '05 01 00 05 01 00 03 00 0050', socksReply(SocksReply.GENERAL_FAILURE).toString('hex')],
    ['domain with a space', open, '05 01 00 05 01 00 03 03 612062 0050', socksReply(SocksReply.GENERAL_FAILURE).toString('hex')],
    ['port 0', open, '05 01 00 05 01 00 01 7f000001 0000', socksReply(SocksReply.GENERAL_FAILURE).toString('hex')],
  ];
  for (const [name, make, input, lastWrite] of cases) {
    it(name, () => {
      const n = make();
      const actions = n.push(hex(input));
      const last = actions.at(-1);
      assert.equal(last?.kind, 'close', `${name} must close`);
      const writes = actions.filter((a) => a.kind === 'write');
      assert.equal(writes.at(-1)?.bytes.toString('hex'), lastWrite ?? (writes.length ? writes.at(-1)!.bytes.toString('hex') : undefined));
      if (lastWrite === undefined) assert.equal(writes.length, 0, 'nothing is answered to a non-SOCKS5 client');
      assert.equal(n.current, 'done');
      assert.deepEqual(n.push(hex('05 01 00')), [], 'nothing more after a refusal');
    });
  }
});

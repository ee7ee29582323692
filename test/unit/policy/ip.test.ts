import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp, specialRange } from '../../../src/policy/ip.js';
import type { SpecialRange } from '../../../src/policy/ip.js';

describe('parseIp canonicalises every notation', () => {
  const rows: ReadonlyArray<readonly [string, string | 'not-ip' | 'zone-id', SpecialRange?]> = [
    ['127.0.0.1', '127.0.0.1', 'loopback'],
    ['127.1', '127.0.0.1', 'loopback'],
    ['0x7f000001', '127.0.0.1', 'loopback'],
    ['2130706433', '127.0.0.1', 'loopback'],
    ['0177.0.0.1', '127.0.0.1', 'loopback'],
    ['0x7f.1', '127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', '127.0.0.1', 'loopback'],
    ['::ffff:127.0.0.1', '127.0.0.1', 'loopback'],
    ['::1', '::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', '::1', 'loopback'],
    ['10.0.0.5', '10.0.0.5'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['169.254.169.254', '169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', '169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0::254', 'fd00:ec2::254', 'metadata'],
    ['100.100.100.200', '100.100.100.200', 'metadata'],
    ['169.254.1.1', '169.254.1.1', 'linkLocal'],
    ['fe80::1', 'fe80::1', 'linkLocal'],
    ['0.0.0.0', '0.0.0.0', 'unspecified'],
    ['0', '0.0.0.0', 'unspecified'],
    ['::', '::', 'unspecified'],
    ['224.0.0.1', '224.0.0.1', 'multicast'],
    ['ff02::1', 'ff02::1', 'multicast'],
    ['255.255.255.255', '255.255.255.255', 'broadcast'],
    ['64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', '64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', '64:ff9b::a00:1'],
    ['::ffff:0:7f00:1', '::ffff:0:7f00:1', 'loopback'],
    ['2002:a9fe:a9fe::1', '2002:a9fe:a9fe::1', 'metadata'],
    ['2002:7f00:1::', '2002:7f00:1::', 'loopback'],
    ['2002:a00:1::', '2002:a00:1::'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['fe80::1%eth0', 'zone-id'],
    ['gitlab.internal', 'not-ip'],
    ['256.0.0.1', 'not-ip'],
    ['1.2.3.4.5', 'not-ip'],
    ['', 'not-ip'],
  ];
  for (const [text, expected, range] of rows) {
    it(`${JSON.stringify(text)} -> ${expected}${range === undefined ? '' : ` (${range})`}`, () => {
      const parsed = parseIp(text);
      if (expected === 'not-ip' || expected === 'zone-id') {
        assert.deepEqual(parsed, { ok: false, problem: expected });
        return;
      }
      assert.ok(parsed.ok);
      assert.equal(parsed.ip.address, expected);
      assert.equal(specialRange(parsed.ip), range);
    });
  }
});

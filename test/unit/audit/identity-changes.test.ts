import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityChanges, viewOf, type IdentityView } from '../../../src/server/identity-changes.js';

const a: IdentityView = { name: 'a@x', enabled: true, keys: [{ keyId: 'k1' }] };

describe('identityChanges', () => {
  const rows: ReadonlyArray<readonly [string, IdentityView[], IdentityView[], unknown[]]> = [
    ['nothing changed', [a], [a], []],
    ['created', [], [a], [{ type: 'identity.changed', identity: 'a@x', change: 'created' }]],
    ['removed', [a], [], [{ type: 'identity.changed', identity: 'a@x', change: 'removed' }]],
    ['disabled', [a], [{ ...a, enabled: false }], [{ type: 'identity.changed', identity: 'a@x', change: 'disabled' }]],
    ['enabled', [{ ...a, enabled: false }], [a], [{ type: 'identity.changed', identity: 'a@x', change: 'enabled' }]],
    ['key added', [a], [{ ...a, keys: [{ keyId: 'k1' }, { keyId: 'k2' }] }], [{ type: 'identity.changed', identity: 'a@x', change: 'key-added', keyId: 'k2' }]],
    ['key replaced', [a], [{ ...a, keys: [{ keyId: 'k2' }] }], [
      { type: 'identity.changed', identity: 'a@x', change: 'key-added', keyId: 'k2' },
      { type: 'identity.changed', identity: 'a@x', change: 'key-removed', keyId: 'k1' },
    ]],
  ];
  for (const [name, before, after, expected] of rows) it(name, () => assert.deepEqual(identityChanges(viewOf(before), after), expected));
});

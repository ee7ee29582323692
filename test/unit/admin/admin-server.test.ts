import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, startAdmin } from '../../../src/admin/admin-server.js';

async function get(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.text() };
}

describe('admin listener', () => {
  it('refuses to bind beyond loopback without a token', async () => {
    await assert.rejects(startAdmin('0.0.0.0', 0, { notReadyReason: () => undefined }), { code: 'ERR_ADMIN_TOKEN_REQUIRED' });
  });

  it('knows loopback hosts', () => {
    assert.deepEqual(['127.0.0.1', '127.9.9.9', '::1', 'localhost', '0.0.0.0', '10.0.0.1', '::'].map(isLoopbackHost), [true, true, true, true, false, false, false]);
  });

  it('with a token: probes open, everything else needs the exact bearer token', async () => {
    const { server, port } = await startAdmin('127.0.0.1', 0, {
      notReadyReason: () => 'not registered',
      token: 's3cret',
      json: { '/status': () => ({ fine: true }) },
      metrics: { render: async () => 'causeway_x 1\n', contentType: 'text/plain; version=0.0.4' },
      html: { '/dashboard': '<html>shell</html>' },
    });
    try {
      assert.deepEqual(await get(port, '/healthz'), { status: 200, body: 'ok\n' });
      assert.deepEqual(await get(port, '/readyz'), { status: 503, body: 'not ready: not registered\n' });
      assert.equal((await get(port, '/dashboard')).status, 200);
      assert.equal((await get(port, '/metrics')).status, 401);
      assert.equal((await get(port, '/status')).status, 401);
      assert.equal((await get(port, '/metrics', 's3cre')).status, 401);
      assert.equal((await get(port, '/metrics', 's3cret!')).status, 401);
      assert.deepEqual(await get(port, '/metrics', 's3cret'), { status: 200, body: 'causeway_x 1\n' });
      assert.equal((await get(port, '/status', 's3cret')).status, 200);
      assert.equal((await get(port, '/nope', 's3cret')).status, 404);
    } finally {
      server.close();
    }
  });
});

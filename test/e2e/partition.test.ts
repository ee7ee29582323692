import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AGENT, TestTunnel } from '../support/harness.js';
import { BlackholeRelay } from '../support/blackhole-relay.js';
import { getJson, pollUntil, type ServerStatus } from '../support/status.js';

/** The dead-peer bound with default settings: keepalive interval + timeout, 10 s + 10 s, well under 30 s. */
const DETECTION_BOUND_MS = 30_000;
const PARTITION_MS = 90_000;

describe('black-hole partition between agent and server', () => {
  let tunnel: TestTunnel;
  let relay: BlackholeRelay;

  before(async () => {
    tunnel = await TestTunnel.start({ allow: [{ host: '127.0.0.1', ports: [9] }] });
    relay = new BlackholeRelay(tunnel.serverPort);
    await relay.start();
  });
  after(async () => {
    await tunnel?.stop();
    await relay?.close();
  });

  test('is detected within the bound on both sides, and leaves exactly one registration afterwards', async () => {
    // A second agent of the same identity that reaches the server only through the relay.
    const agent = await tunnel.startAgent(AGENT, [{ host: '127.0.0.1', ports: [9] }], {}, {}, { server: `127.0.0.1:${relay.port}` });
    const instance = agent.ready['instanceId'];
    const registered = async (): Promise<number> =>
      (await getJson<ServerStatus>(tunnel.serverAdminPort, '/status')).agents.filter((a) => a.instanceId === instance).length;
    assert.equal(await registered(), 1);

    relay.blackhole();
    const cut = Date.now();
    const serverNoticed = await pollUntil(async () => (await registered()) === 0, DETECTION_BOUND_MS + 5_000, 'server to drop the registration');
    assert.ok(serverNoticed <= DETECTION_BOUND_MS, `server took ${serverNoticed} ms`);
    await agent.waitForLog((l) => l['msg'] === 'control stream to the server closed; reconnecting', DETECTION_BOUND_MS);
    const agentNoticed = Date.now() - cut;
    assert.ok(agentNoticed <= DETECTION_BOUND_MS + 1000, `agent took ${agentNoticed} ms`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, PARTITION_MS - (Date.now() - cut))));
    const registrationsBefore = agent.logs.filter((l) => l['msg'] === 'registered with the server').length;
    relay.heal();
    await pollUntil(async () => (await registered()) === 1, 20_000, 'the agent to register again');
    await pollUntil(() => agent.logs.filter((l) => l['msg'] === 'registered with the server').length > registrationsBefore, 5_000, 'agent log');
    // Stays exactly one: no duplicate from a half-open old stream, no stale entry.
    for (let i = 0; i < 10; i++) {
      assert.equal(await registered(), 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const all = await getJson<ServerStatus>(tunnel.serverAdminPort, '/status');
    assert.equal(all.agents.length, 2, 'the directly connected agent and the healed one');
  });
});

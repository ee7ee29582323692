import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { AGENT, CLIENT, TestTunnel } from '../support/harness.js';
import { connectThroughProxy, listenTcp } from '../support/targets.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshot is kept after the run, for a person to look at. */
export const SCREENSHOT = join(tmpdir(), 'causeway-dashboard.png');

describe('dashboard in headless Chromium', () => {
  let tunnel: TestTunnel;
  let echo: Awaited<ReturnType<typeof listenTcp>>;
  let browser: BrowserContext;
  let profile: string;
  let held: Socket;

  before(async () => {
    echo = await listenTcp((socket) => socket.pipe(socket));
    tunnel = await TestTunnel.start({ allow: [{ host: '127.0.0.1', ports: [echo.port] }] });
    profile = mkdtempSync(join(tmpdir(), 'causeway-chromium-'));
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
  });

  after(async () => {
    held?.destroy();
    await browser?.close();
    await tunnel?.stop();
    await echo?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('shows the live agent, a tunnel the test holds open, a recent deny, and refreshes by itself', async () => {
    // A deny first, so the page has one to show.
    await connectThroughProxy(tunnel.proxyPort, '127.0.0.1:1').then(
      () => assert.fail('should be refused'),
      () => undefined,
    );
    held = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${echo.port}`);
    held.resume();
    held.write('x'.repeat(64 * 1024));

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${tunnel.serverAdminPort}/dashboard`, { timeout: 60_000 });
    await page.locator('#agents tbody', { hasText: AGENT }).waitFor({ timeout: 30_000 });
    const tunnelRow = page.locator('#tunnels tbody tr', { hasText: `127.0.0.1:${echo.port}` });
    await tunnelRow.waitFor({ timeout: 30_000 });
    assert.match(await tunnelRow.innerText(), new RegExp(CLIENT.replace(/\./g, '\\.')));
    await page.locator('#denies tbody', { hasText: '127.0.0.1:1' }).waitFor({ timeout: 30_000 });
    // The page refreshes by itself: the status line's time changes without a reload.
    const first = await page.locator('#status').innerText();
    await page.waitForFunction(`document.getElementById('status').textContent !== ${JSON.stringify(first)}`, undefined, { timeout: 30_000 });
    // Closing the tunnel takes it off the page.
    held.end();
    await tunnelRow.waitFor({ state: 'detached', timeout: 30_000 });
    held.destroy();
    held = await connectThroughProxy(tunnel.proxyPort, `127.0.0.1:${echo.port}`);
    held.resume();
    held.write('y'.repeat(256 * 1024));
    await tunnelRow.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10_000, 'the screenshot has content');
    assert.deepEqual(errors, []);
  });
});

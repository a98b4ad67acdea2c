// The live dashboard (issue 15): GET /dashboard, one self-contained page
// updated by server-sent events (GET /events), opened in headless Chromium
// (Debian's chromium through playwright-core, as test/browser.test.ts does)
// while learn requests come in: the online accuracy curve grows.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ModelServer } from '../src/node/serve/app.js';
import { DASHBOARD_CSP, type DashboardUpdate } from '../src/node/serve/dashboard.js';
import { IRIS, relabelled, trainedIrisModel } from './serve-fixtures.js';

const CHROMIUM = process.env.STREAMLEARN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const NO_CHROMIUM = `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set STREAMLEARN_CHROMIUM to a Chromium binary`;
if (!haveChromium && !inCi) console.warn(`serve-dashboard.test.ts: skipping the checks in Chromium: ${NO_CHROMIUM}`);

const irisModel = trainedIrisModel('streamlearn-dashboard-');

let server: ModelServer;
let url: string;
beforeAll(async () => {
  const model = irisModel.copy();
  // A challenger is named by its directory.
  const challenger = join(irisModel.scratch, 'challenger', 'rival');
  cpSync(irisModel.trained, challenger, { recursive: true });
  server = await createServer({ model, challengers: [challenger], learn: true, drift: 'adwin', eventsIntervalSeconds: 0.2, reloadIntervalSeconds: 0, checkpointIntervalSeconds: 0 });
  url = await server.listen({ port: 0 });
});
afterAll(() => server.close());

const learn = (rows: object[]) => fetch(`${url}/learn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows }) });

/** Reads server-sent events from GET /events until `count` have come; the stream is then dropped. */
async function readEvents(count: number): Promise<{ headers: Headers; events: { event: string; data: DashboardUpdate }[] }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/events`, { signal: controller.signal });
  const events: { event: string; data: DashboardUpdate }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      if (fields.event) events.push({ event: fields.event, data: JSON.parse(fields.data) as DashboardUpdate });
    }
    if (events.length >= count) break;
  }
  controller.abort();
  return { headers: res.headers, events };
}

describe('GET /dashboard and GET /events', () => {
  it('serves one self-contained page: no URL but its own, a policy that allows no other', async () => {
    const res = await fetch(`${url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|@import/);
    expect(html).toContain('<svg data-chart="online-accuracy"');
    expect(html).toContain(server.host.identity.slice(0, 12));
  });

  it('sends an update at once, then one per interval, with the chart only when a curve moved', async () => {
    await learn(IRIS.slice(0, 5));
    const { headers, events } = await readEvents(3);
    expect(headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(events.map((e) => e.event)).toEqual(['update', 'update', 'update']);
    const [first, ...later] = events.map((e) => e.data);
    expect(first.rows).toBe(5);
    expect(first.chart).toMatch(/^<svg data-chart="online-accuracy"/);
    expect(first.texts['champion-learner']).toBe('gaussian-nb');
    expect(first.table).toContain('data-model="rival"');
    // Nothing learned meanwhile: the same curve is not sent again.
    for (const u of later) expect(u.chart).toBeUndefined();
  });
});

describe('a closing server and its dashboards', () => {
  it('ends the event streams instead of waiting for them, and refuses dashboards past the limit', async () => {
    const other = await createServer({ model: irisModel.copy(), reloadIntervalSeconds: 0 });
    const otherUrl = await other.listen({ port: 0 });
    const streams = await Promise.all(Array.from({ length: 32 }, () => fetch(`${otherUrl}/events`)));
    expect(streams.map((r) => r.status)).toEqual(streams.map(() => 200));
    const refused = await fetch(`${otherUrl}/events`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: 'too many dashboards connected (32); close one and retry' });
    const closed = other.close().then(() => 'closed');
    const late = new Promise((resolve) => setTimeout(() => resolve('still open after 5 s'), 5_000).unref());
    expect(await Promise.race([closed, late])).toBe('closed');
    // Each stream ended cleanly: its reader sees the end, not an error.
    for (const r of streams) await r.text();
  });
});

describe.skipIf(!haveChromium && !inCi)('the dashboard in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!haveChromium) throw new Error(NO_CHROMIUM);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the model and its challenger, and the accuracy curve grows as learn requests come in', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(msg.text());
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(url)) foreign.push(req.url());
    });
    await page.goto(`${url}/dashboard`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live', undefined, { timeout: 10_000 });
    expect(await page.textContent('#champion-learner')).toBe('gaussian-nb');
    expect(await page.locator('#models tr[data-model]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')))).toEqual(['champion', 'rival']);
    const points = (model: string) => page.locator(`#chart g[data-model="${model}"][data-metric="accuracy"] circle[data-point]`).count();
    const rowsShown = async () => Number(await page.getAttribute('#chart', 'data-rows'));
    const before = await rowsShown();
    const beforePoints = await points('champion');

    // Relabelled rows: the models are wrong on most, so the curve falls too.
    for (let i = 0; i < 6; i++) expect((await learn(relabelled(i * 20, 20))).status).toBe(200);
    await page.waitForFunction((n) => Number(document.getElementById('chart')?.dataset.rows) >= n, before + 120, { timeout: 10_000 });
    expect(await rowsShown()).toBe(before + 120);
    expect(await points('champion')).toBeGreaterThan(beforePoints);
    expect(await points('rival')).toBe(await points('champion'));
    // The last point of the champion's curve is the accuracy /stats gives.
    const stats = (await (await fetch(`${url}/stats`)).json()) as { models: { online: { accuracy: number; scored: number } }[] };
    const last = await page.locator('#chart g[data-model="champion"][data-metric="accuracy"] circle[data-point]').last().getAttribute('data-y');
    expect(Number(last)).toBe(stats.models[0].online.accuracy);
    expect(await page.textContent('#learn-rate')).toMatch(/^\d/);
    await page.screenshot({ path: `${irisModel.scratch}/dashboard.png` });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});

// The cloud worker as a resource: parts (the API, the alert rules) built from the shared context,
// opened after the ingest and closed before it, health over all of it, what changed on the bus,
// and the registry's last-seen times written on the clock rather than per message.

import { afterEach, describe, expect, it } from 'vitest';
import { RegistryTouch } from '../../cloud/ingest/registry-touch.js';
import type { CloudContext } from '../../cloud/service/context.js';
import type { CloudPart, CloudHandle } from '../../cloud/service/cloud.js';
import type { GatewayRecord, StoredAlert, StoredSummary } from '../../cloud/store/contract.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import { silentLogger } from '../../edge/observe/log.js';
import { brokerUrl, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { Teardown } from '../helpers/mqtt.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { exampleAlert, exampleStatus } from '../helpers/uplink-items.js';
import { UplinkSender } from '../helpers/uplink-sender.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

const teardown = new Teardown();
let dir: TempDir | undefined;
afterEach(async () => {
  await teardown.run();
  dir?.[Symbol.dispose]();
  dir = undefined;
});

/** A part that records what it saw: the order it was opened and closed in, and the bus. */
class RecordingPart extends Resource implements CloudPart {
  readonly summaries: StoredSummary[] = [];
  readonly alerts: StoredAlert[] = [];
  readonly gateways: GatewayRecord[] = [];
  ok = true;
  constructor(
    readonly name: string,
    readonly ctx: CloudContext,
    readonly cloud: CloudHandle,
    private readonly events: string[],
    private readonly failOpen = false,
  ) {
    super();
  }
  describe(): string {
    return `${this.name} on nowhere`;
  }
  health() {
    return { ok: this.ok, seen: this.summaries.length };
  }
  protected async _open(): Promise<void> {
    // The ingest already runs: the store is open and a source is listening.
    this.events.push(`open ${this.name} (store ${this.ctx.store.status}, source ${this.cloud.health().ingest.source?.ok})`);
    if (this.failOpen) throw new Error(`${this.name} cannot open`);
    this.ctx.bus.on('summaries', (s) => this.summaries.push(...s));
    this.ctx.bus.on('alert', (a) => this.alerts.push(a));
    this.ctx.bus.on('gateway', (g) => this.gateways.push(g));
  }
  protected async _close(): Promise<void> {
    this.events.push(`close ${this.name} (store ${this.ctx.store.status})`);
  }
}

describe('cloud worker', () => {
  it('opens its parts after the ingest with the shared context, closes them first, and reports health over all of it', async () => {
    dir = tempDir('tributary-cloud-service-');
    const { gateways, tokens } = await testGateways(['gw-a']);
    const events: string[] = [];
    let api: RecordingPart | undefined;
    const cloud = await openCloud(testCloudConfig(dir.path, gateways), {
      api: (ctx, handle) => (api = new RecordingPart('api', ctx, handle, events)),
      alertRules: (ctx, handle) => new RecordingPart('alert-rules', ctx, handle, events),
    });
    expect(events).toEqual(['open api (store open, source true)', 'open alert-rules (store open, source true)']);
    expect(cloud.describe()).toEqual([cloud.store.name, expect.stringMatching(/^MQTT broker on 127\.0\.0\.1:\d+/), 'api on nowhere', 'alert-rules on nowhere']);
    expect(cloud.context?.config.cloud.id).toBe('cloud-test');
    expect(cloud.health()).toMatchObject({ ok: true, worker: 'cloud-test', store: { status: 'open' }, ingest: { inFlight: 0, source: { ok: true, kind: 'broker' } } });

    const gw = await UplinkSender.connect({ url: brokerUrl(cloud), gateway: 'gw-a', token: tokens['gw-a']! });
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 2, metrics: ['temp'], start: START, seconds: 60, seed: 9 });
    await gw.deliver('summary', summaries);
    await gw.deliver('alert', [exampleAlert('gw-a', 'gw-a-dev-0')]);
    await gw.deliver('status', [exampleStatus('gw-a', 1)]);
    await gw.close();
    expect(api!.summaries.map((s) => s.id).sort()).toEqual(summaries.map((s) => s.id).sort());
    expect(api!.summaries[0]).toMatchObject({ gateway: 'gw-a', site: 'gw-a', line: 'default', rolledUp: true });
    expect(api!.alerts.map((a) => [a.id, a.state])).toEqual([['a'.repeat(32), 'open']]);
    await waitFor(() => api!.gateways.some((g) => g.status?.seq === 1), 'the gateway record on the bus');

    api!.ok = false;
    expect(cloud.health().ok).toBe(false);
    expect(cloud.health().parts).toEqual([
      { name: 'api', status: 'open', ok: false, seen: summaries.length },
      { name: 'alert-rules', status: 'open', ok: true, seen: summaries.length },
    ]);
    await cloud.close();
    expect(events.slice(2)).toEqual(['close alert-rules (store open)', 'close api (store open)']);
    expect(cloud.store.status).toBe('closed');
    expect(cloud.health().ok).toBe(false);
  });

  it('closes what it opened when a part fails to open', async () => {
    dir = tempDir('tributary-cloud-service-');
    const events: string[] = [];
    const failing = openCloud(testCloudConfig(dir.path, {}), {
      api: (ctx, handle) => new RecordingPart('api', ctx, handle, events),
      parts: [(ctx, handle) => new RecordingPart('extra', ctx, handle, events, true)],
    });
    await expect(failing).rejects.toThrow('extra cannot open');
    expect(events).toEqual(['open api (store open, source true)', 'open extra (store open, source true)', 'close extra (store open)', 'close api (store open)']);
    // The store was closed too: the folder can be opened again at once.
    await using store = new LevelCloudStore(`${dir.path}/store`);
    await store.open();
    expect(await store.summaries({ from: 0, to: Date.now() })).toEqual([]);
  });

  it('reports its own process on its registry: the event loop\'s delay beyond the timer\'s interval, and its memory', async () => {
    dir = tempDir('tributary-cloud-service-');
    const { gateways } = await testGateways(['gw-a']);
    const cloud = await openCloud(testCloudConfig(dir.path, gateways));
    teardown.add(cloud);
    // Block the loop for 50 ms: its delay since the last scrape is at least 40 ms beyond the 10-ms tick.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const until = performance.now() + 50;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const lagIn = (text: string, q: string) => Number(new RegExp(`^tributary_cloud_event_loop_lag_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const text = cloud.metrics.render();
    const lag = (q: string) => lagIn(text, q);
    expect(lag('1')).toBeGreaterThanOrEqual(0.04);
    expect(lag('0.5')).toBeGreaterThanOrEqual(0);
    expect(lag('0.5')).toBeLessThanOrEqual(lag('0.99'));
    const rss = Number(/^tributary_cloud_process_memory_bytes\{kind="rss"\} (\d+)$/m.exec(text)?.[1]);
    const now = process.memoryUsage().rss; // the gauge reads this process's
    expect(rss).toBeGreaterThan(0.8 * now);
    expect(rss).toBeLessThan(1.2 * now);
    // The scrape started the delay over: another shows only what came after it.
    expect(lag('1')).toBeGreaterThan(lagIn(cloud.metrics.render(), '1'));
  });

  it('registers new and moved devices before their summaries, and writes last-seen times on the clock', async () => {
    dir = tempDir('tributary-cloud-service-');
    const clock = new FakeClock(START);
    const store = teardown.add(new LevelCloudStore(dir.path, { clock }));
    await store.open();
    const gateways: Record<string, { site?: string; line?: string }> = { 'gw-a': { site: 'plant-1' } };
    const touch = new RegistryTouch({ store, gateways, clock, log: silentLogger(), flushMs: 1000 });
    await touch.open();
    await touch.beforeSummaries('gw-a', ['d1', 'd2', 'd1'], START);
    expect((await store.devices()).map((d) => [d.id, d.site, d.line, d.lastSeen])).toEqual([
      ['d1', 'plant-1', 'default', START],
      ['d2', 'plant-1', 'default', START],
    ]);
    // Known and unmoved: nothing written until the flush.
    await touch.beforeSummaries('gw-a', ['d1'], START + 500);
    touch.gatewaySeen('gw-a', START + 500);
    expect((await store.devices())[0]!.lastSeen).toBe(START);
    expect(await store.gateways()).toEqual([]);
    clock.advance(1000);
    await waitFor(async () => (await store.gateways()).length === 1, 'the timed flush');
    await touch.flush();
    expect((await store.devices()).find((d) => d.id === 'd1')?.lastSeen).toBe(START + 500);
    expect((await store.gateways())[0]).toMatchObject({ id: 'gw-a', lastSeen: START + 500 });
    // d2 moves to another gateway: written at once, with the new gateway's place.
    await touch.beforeSummaries('gw-b', ['d2'], START + 2000);
    expect((await store.devices()).find((d) => d.id === 'd2')).toMatchObject({ gateway: 'gw-b', site: 'plant-1', line: 'default' });
    expect(touch.placeOf('d2', 'gw-b')).toEqual({ site: 'plant-1', line: 'default' });
    expect(touch.placeOf('d9', 'gw-b')).toEqual({ site: 'gw-b', line: 'default' });
    await touch.close();
  });
});

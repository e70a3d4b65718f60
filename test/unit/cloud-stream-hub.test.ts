// The live stream's hub on a fake clock with stand-in sockets: what each client's filters let
// through, heartbeats, buffering a burst up to the budget and then dropping (and counting) for a
// client that does not read, the gap event once it drains, and cutting a client that stays stalled.

import { describe, expect, it } from 'vitest';
import { StreamHub, type StreamSink } from '../../cloud/api/stream.js';
import { CloudBus } from '../../cloud/service/context.js';
import type { StoredAlert, StoredSummary } from '../../cloud/store/contract.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { Registry, type Counter } from '../../edge/observe/metrics.js';
import { cloudConfigFrom } from '../helpers/cloud-context.js';
import { parseSse, type SseEvent } from '../helpers/sse.js';
import { windowSummary } from '../helpers/summaries.js';

/** A socket stand-in: while `full`, what is written stays buffered until drain() is called. */
class Sink implements StreamSink {
  text = '';
  full = false;
  writableLength = 0;
  ended = false;
  destroyed = false;
  #drain: Array<() => void> = [];
  write(text: string): boolean {
    this.text += text;
    if (this.full) this.writableLength += text.length;
    return this.writableLength < HIGH_WATER;
  }
  once(_event: 'drain', listener: () => void): this {
    this.#drain.push(listener);
    return this;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  drain(): void {
    this.full = false;
    this.writableLength = 0;
    for (const l of this.#drain.splice(0)) l();
  }
  events(): SseEvent[] {
    const out: SseEvent[] = [];
    parseSse(this.text, out, []);
    return out;
  }
  comments(): string[] {
    const out: string[] = [];
    parseSse(this.text, [], out);
    return out;
  }
}

const HIGH_WATER = 100;
const BUDGET = 1000;

function setup() {
  const clock = new FakeClock();
  const metrics = new Registry();
  const bus = new CloudBus();
  const hub = new StreamHub({ config: cloudConfigFrom({ cloud: { id: 't' } }), clock, metrics, bus }, { heartbeatMs: 1000, stallMs: 5000, maxBufferedBytes: BUDGET });
  hub.start();
  const dropped = metrics.get('tributary_cloud_stream_dropped_total') as Counter;
  return { clock, bus, hub, dropped };
}

const alert = (n: number) => ({ id: String(n).padStart(32, '0'), state: 'open', event: { device: 'd' }, history: [], updatedAt: 0 }) as unknown as StoredAlert;
const summary = (device: string): StoredSummary => ({ ...windowSummary({ device, metric: 'm', start: 0 }), site: 's', line: 'l', rolledUp: true, receivedAt: 0 });

describe('stream hub', () => {
  it('sends each client what its filters let through, in order, after the hello', () => {
    const { bus, hub } = setup();
    const alerts = new Sink();
    const pumps = new Sink();
    hub.attach(alerts, new Set(['alert']));
    hub.attach(pumps, new Set(['summaries', 'gateway']), new Set(['pump-7']));
    bus.emit('alert', alert(1));
    bus.emit('summaries', [summary('pump-7'), summary('fan-1')]);
    bus.emit('gateway', { id: 'gw-1', firstSeen: 0, lastSeen: 0, backlog: null, lossLedger: null });
    bus.emit('summaries', [summary('fan-1')]);
    expect(alerts.events().map((e) => e.event)).toEqual(['hello', 'alert']);
    expect(pumps.events().map((e) => `${e.event}${e.event === 'summaries' ? ':' + e.data.map((s: StoredSummary) => s.device).join(',') : ''}`)).toEqual(['hello', 'summaries:pump-7', 'gateway']);
    expect(alerts.text.startsWith('retry: 3000\n\n')).toBe(true);
    const ids = [...alerts.events(), ...pumps.events()].map((e) => Number(e.id)).sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends push views (desired against applied) to the clients that ask for push events', () => {
    const { bus, hub } = setup();
    const pushes = new Sink();
    const others = new Sink();
    hub.attach(pushes, new Set(['push']));
    hub.attach(others, new Set(['alert', 'gateway']));
    const none = { slot: 'config', desired: null, running: null, state: 'none' } as const;
    const view = { gateway: 'gw-1', site: null, reporting: true, reportedAt: 5, inSync: true, config: none, models: [] };
    bus.emit('push', view);
    expect(pushes.events().map((e) => [e.event, e.data.gateway])).toEqual([['hello', undefined], ['push', 'gw-1']]);
    expect(others.events().map((e) => e.event)).toEqual(['hello']);
  });

  it('heartbeats on the clock', () => {
    const { clock, hub } = setup();
    const sink = new Sink();
    hub.attach(sink, new Set(['alert']));
    clock.advance(3000);
    expect(sink.comments()).toHaveLength(3);
  });

  it('buffers a burst up to its budget, then drops and counts, and sends one gap event when it drains', () => {
    const { bus, hub, dropped } = setup();
    const slow = new Sink();
    const fast = new Sink();
    hub.attach(slow, new Set(['alert']));
    hub.attach(fast, new Set(['alert']));
    slow.full = true;
    const size = `id: 9\nevent: alert\ndata: ${JSON.stringify(alert(1))}\n\n`.length;
    const taken = Math.floor(BUDGET / size) + 1; // the write that crossed the budget is in the buffer too
    expect(taken).toBeGreaterThan(3);
    for (let i = 1; i <= taken + 4; i++) bus.emit('alert', alert(i));
    expect(slow.events().filter((e) => e.event === 'alert')).toHaveLength(taken);
    expect(slow.writableLength).toBeGreaterThan(BUDGET);
    expect(slow.writableLength).toBeLessThan(BUDGET + size + 1);
    expect(dropped.get('slow_client')).toBe(4);
    expect(hub.congested).toBe(1);
    expect(fast.events().filter((e) => e.event === 'alert')).toHaveLength(taken + 4);
    slow.drain();
    bus.emit('alert', alert(99));
    expect(slow.events().slice(-2).map((e) => [e.event, e.data.missed ?? e.data.id])).toEqual([
      ['gap', { alert: 4, gateway: 0, push: 0, summaries: 0 }],
      ['alert', alert(99).id],
    ]);
    expect(hub.congested).toBe(0);
  });

  it('cuts a client whose socket stays full for stallMs, and only that one', () => {
    const { clock, bus, hub, dropped } = setup();
    const stuck = new Sink();
    const fine = new Sink();
    hub.attach(stuck, new Set(['alert']));
    hub.attach(fine, new Set(['alert']));
    stuck.full = true;
    for (let i = 1; i <= 30; i++) bus.emit('alert', alert(i));
    expect(hub.congested).toBe(1);
    clock.advance(4000);
    expect(stuck.destroyed).toBe(false);
    clock.advance(1000);
    expect(stuck.destroyed).toBe(true);
    expect(fine.destroyed).toBe(false);
    expect(dropped.get('stalled')).toBe(1);
    expect(hub.clients).toBe(1);
  });

  it('ends every stream and stops its timer when stopped', () => {
    const { clock, hub } = setup();
    const sink = new Sink();
    hub.attach(sink, new Set(['alert']));
    hub.stop();
    expect(sink.ended).toBe(true);
    expect(hub.clients).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

// The live stream (GET /api/stream, Server-Sent Events): alert changes, gateway changes, config and
// model push progress (desired against applied, per gateway) and — for the devices a client names —
// new summaries, as they appear on the bus, with a heartbeat comment
// so proxies keep the connection and clients notice a dead one.
//
// Backpressure: each event is serialised once and written to every client that wants it. A burst
// (one check raising a hundred alerts) may sit in a client's send buffer up to `maxBufferedBytes`;
// past that the client is congested: further events for it are dropped and counted
// (tributary_cloud_stream_dropped_total{reason="slow_client"}) instead of buffered, and once its
// socket has taken everything it gets one `gap` event with what it missed, so it can reload. A
// client congested for `stallMs` is disconnected (reason `stalled`). Nothing is replayed: after a
// reconnect (`retry: 3000`), the `hello` event tells a client to load current state again.

import { Type } from '@sinclair/typebox';
import type { TimerHandle } from '../../edge/clock/clock.js';
import { codedError } from '../../edge/errors/catalogue.js';
import type { Counter } from '../../edge/observe/metrics.js';
import type { CloudBusEvents, CloudContext } from '../service/context.js';
import type { GatewayPushView } from '../push/views.js';
import type { GatewayRecord, StoredAlert, StoredSummary } from '../store/contract.js';
import { List, Problems } from './query.js';
import { route, type ApiRoute } from './route.js';
import { summaryView } from './views.js';

export type StreamEventType = 'alert' | 'gateway' | 'push' | 'summaries';
const EVENT_TYPES: readonly StreamEventType[] = ['alert', 'gateway', 'push', 'summaries'];

export interface StreamOptions {
  /** Heartbeat comment every this long (milliseconds, default 15000). */
  readonly heartbeatMs?: number;
  /** Streams open at once; more are refused with ERR_API_STREAM_LIMIT (default 500). */
  readonly maxClients?: number;
  /** A client whose socket takes nothing for this long is disconnected (milliseconds, default 60000). */
  readonly stallMs?: number;
  /** Devices one client may follow the summaries of (default 50). */
  readonly maxDevices?: number;
  /** Bytes a client's socket may hold unsent before its events are dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
}

const StreamQuery = Type.Object(
  {
    events: Type.Optional(List('alert, gateway, push, summaries (default alert,gateway)')),
    devices: Type.Optional(List('device ids whose summaries to send (required with summaries)')),
  },
  { additionalProperties: false },
);

/** Where a stream is written: an http.ServerResponse, or a stand-in in unit tests. */
export interface StreamSink {
  /** false when the socket's buffer is past its high-water mark ('drain' follows once it empties). */
  write(text: string): boolean;
  /** Bytes written but not yet taken by the socket. */
  readonly writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
  destroy(): unknown;
}

interface Client {
  readonly res: StreamSink;
  readonly events: ReadonlySet<StreamEventType>;
  readonly devices: ReadonlySet<string>;
  /** Clock time the socket stopped taking data; undefined while it keeps up. */
  congestedSince: number | undefined;
  readonly missed: Record<StreamEventType, number>;
}

export class StreamHub {
  readonly #clients = new Set<Client>();
  readonly #heartbeatMs: number;
  readonly #maxClients: number;
  readonly #stallMs: number;
  readonly #maxDevices: number;
  readonly #maxBuffered: number;
  readonly #sent: Counter;
  readonly #dropped: Counter;
  #seq = 0;
  #timer: TimerHandle | undefined;
  readonly #listeners: { [K in keyof CloudBusEvents]: (...args: CloudBusEvents[K]) => void };

  constructor(
    private readonly ctx: Pick<CloudContext, 'config' | 'clock' | 'metrics' | 'bus'>,
    o: StreamOptions = {},
  ) {
    this.#heartbeatMs = o.heartbeatMs ?? 15_000;
    this.#maxClients = o.maxClients ?? 500;
    this.#stallMs = o.stallMs ?? 60_000;
    this.#maxDevices = o.maxDevices ?? 50;
    this.#maxBuffered = o.maxBufferedBytes ?? 1024 * 1024;
    const m = ctx.metrics;
    m.gauge('tributary_cloud_stream_clients', 'Live stream (SSE) connections open, and of those congested (socket full: events dropped)', ['state'], (g) => {
      g.set(this.#clients.size, 'open');
      g.set(this.congested, 'congested');
    });
    this.#sent = m.counter('tributary_cloud_stream_events_total', 'Live stream events written to clients, by event type (one per client)', ['event']);
    this.#dropped = m.counter('tributary_cloud_stream_dropped_total', 'Live stream events not written (slow_client), clients disconnected (stalled) and streams refused (limit)', ['reason']);
    this.#listeners = {
      alert: (a: StoredAlert) => this.#broadcast('alert', a),
      gateway: (g: GatewayRecord) => this.#broadcast('gateway', this.#gatewayStatus(g)),
      push: (view: GatewayPushView) => this.#broadcast('push', view),
      summaries: (batch: readonly StoredSummary[]) => this.#summaries(batch),
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Clients whose socket is full right now (their events are being dropped). */
  get congested(): number {
    let n = 0;
    for (const c of this.#clients) if (c.congestedSince !== undefined) n++;
    return n;
  }

  start(): void {
    const bus = this.ctx.bus;
    bus.on('alert', this.#listeners.alert);
    bus.on('gateway', this.#listeners.gateway);
    bus.on('push', this.#listeners.push);
    bus.on('summaries', this.#listeners.summaries);
    this.#timer = this.ctx.clock.setInterval(() => this.#heartbeat(), this.#heartbeatMs);
    this.#timer.unref();
  }

  /** Stop listening and end every stream (clients reconnect to another worker, or once we are back). */
  stop(): void {
    const bus = this.ctx.bus;
    bus.off('alert', this.#listeners.alert);
    bus.off('gateway', this.#listeners.gateway);
    bus.off('push', this.#listeners.push);
    bus.off('summaries', this.#listeners.summaries);
    if (this.#timer) this.ctx.clock.clear(this.#timer);
    this.#timer = undefined;
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  route(): ApiRoute {
    return route({
      method: 'GET',
      url: '/api/stream',
      access: 'viewer',
      summary: 'Server-Sent Events: hello, alert, gateway, push, summaries (for listed devices), gap; heartbeat comments',
      query: StreamQuery,
      handler: ({ query, request, reply }) => {
        const problems = new Problems();
        const events = new Set(problems.list('querystring/events', query.events, EVENT_TYPES) ?? (['alert', 'gateway'] as const));
        const devices = new Set(problems.list('querystring/devices', query.devices) ?? []);
        if (events.has('summaries') && devices.size === 0) problems.add('querystring/devices', 'name the devices whose summaries to send (devices=a,b)');
        if (devices.size > this.#maxDevices) problems.add('querystring/devices', `at most ${this.#maxDevices} devices per stream`);
        problems.check();
        if (this.#clients.size >= this.#maxClients) {
          this.#dropped.labels('limit').inc();
          throw codedError('ERR_API_STREAM_LIMIT', [this.#clients.size]);
        }
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        const detach = this.attach(res, events, devices);
        request.raw.socket.on('close', detach);
        return reply;
      },
    });
  }

  /**
   * Start streaming to `sink` (an HTTP response whose headers are sent): the retry hint and the
   * hello event, then what the filters let through. Returns the function that forgets the sink.
   */
  attach(sink: StreamSink, events: ReadonlySet<StreamEventType>, devices: ReadonlySet<string> = new Set()): () => void {
    const client: Client = { res: sink, events, devices, congestedSince: undefined, missed: { alert: 0, gateway: 0, push: 0, summaries: 0 } };
    this.#clients.add(client);
    this.#push(client, `retry: 3000\n\n${this.#frame('hello', { now: this.ctx.clock.now(), events: [...events], devices: [...devices] })}`);
    return () => this.#clients.delete(client);
  }

  #frame(event: StreamEventType | 'hello' | 'gap', data: unknown): string {
    return `id: ${++this.#seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  #broadcast(event: 'alert' | 'gateway' | 'push', data: unknown): void {
    let frame: string | undefined;
    for (const c of this.#clients) if (c.events.has(event)) this.#write(c, event, (frame ??= this.#frame(event, data)));
  }

  #summaries(batch: readonly StoredSummary[]): void {
    for (const c of this.#clients) {
      if (!c.events.has('summaries')) continue;
      const mine = batch.filter((s) => c.devices.has(s.device));
      if (mine.length > 0) this.#write(c, 'summaries', this.#frame('summaries', mine.map(summaryView)));
    }
  }

  #write(c: Client, event: StreamEventType, frame: string): void {
    if (c.congestedSince !== undefined) {
      c.missed[event]++;
      this.#dropped.labels('slow_client').inc();
      return;
    }
    this.#sent.labels(event).inc();
    this.#push(c, frame);
  }

  /** Write to a client that keeps up; past maxBufferedBytes, mark it congested until it drains. */
  #push(c: Client, text: string): void {
    // Over the budget implies write() returned false (the budget is above the high-water mark), so 'drain' will follow.
    if (c.res.write(text) || c.res.writableLength <= this.#maxBuffered) return;
    c.congestedSince = this.ctx.clock.now();
    c.res.once('drain', () => {
      c.congestedSince = undefined;
      const missed = { ...c.missed };
      if (Object.values(missed).some((n) => n > 0)) {
        c.missed.alert = c.missed.gateway = c.missed.summaries = 0;
        this.#push(c, this.#frame('gap', { missed }));
      }
    });
  }

  #heartbeat(): void {
    const now = this.ctx.clock.now();
    for (const c of this.#clients) {
      if (c.congestedSince === undefined) this.#push(c, `: heartbeat ${now}\n\n`);
      else if (now - c.congestedSince >= this.#stallMs) {
        this.#dropped.labels('stalled').inc();
        this.#clients.delete(c);
        c.res.destroy();
      }
    }
  }

  #gatewayStatus(g: GatewayRecord) {
    const silentForMs = Math.max(0, this.ctx.clock.now() - g.lastSeen);
    return { ...g, silentForMs, online: silentForMs < this.ctx.config.alerts.gatewayOfflineMs };
  }
}

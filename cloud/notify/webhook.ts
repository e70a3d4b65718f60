// Alert notifications to an operator's webhook: each notification is POSTed as JSON, in order,
// retried with capped exponential backoff while the receiver fails, and given up (counted) only
// after `maxAttempts` or on an answer that says retrying cannot help (4xx other than 408/429).
//
// The queue is bounded; when it is full the oldest notification is dropped and counted, so a
// receiver that is down for days cannot exhaust memory. With a secret, each body is signed
// (`X-Tributary-Signature: sha256=<hex HMAC>`) so the receiver can tell it came from us.

import { createHmac } from 'node:crypto';
import type { Clock, TimerHandle } from '../../edge/clock/clock.js';
import { codedError } from '../../edge/errors/catalogue.js';
import type { Logger } from '../../edge/observe/log.js';
import { reconnectDelay } from '../../edge/source/mqtt-client/backoff.js';

export interface WebhookOptions {
  readonly url: string;
  /** HMAC-SHA256 key for the signature header; never logged. */
  readonly secret?: string;
  /** Attempts per notification before it is given up (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay (ms, default 500); doubles up to maxDelayMs (default 60000), jittered. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** One request's time limit (ms, default 5000). */
  readonly timeoutMs?: number;
  /** Notifications held, the one being sent included; the oldest waiting is dropped beyond this (default 10000). */
  readonly maxQueue?: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random?: () => number;
}

export interface WebhookStats {
  delivered: number;
  /** Attempts that failed and were retried (or given up). */
  failedAttempts: number;
  givenUp: number;
  dropped: number;
}

export class WebhookNotifier {
  readonly stats: WebhookStats = { delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };
  readonly #queue: unknown[] = [];
  #attempt = 0;
  #busy = false;
  #timer: TimerHandle | undefined;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(private readonly o: WebhookOptions) {
    if (!/^https?:\/\//.test(o.url)) throw new TypeError(`webhook url must be http(s)://, got ${o.url}`);
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Queue a notification (any JSON-serialisable body). Delivery happens in the background, in order. */
  notify(body: unknown): void {
    if (this.#closed) return;
    this.#queue.push(body);
    if (this.#queue.length > (this.o.maxQueue ?? 10_000)) {
      // The head may be in flight (or waiting for its retry): drop the oldest one behind it.
      this.#queue.splice(this.#queue.length > 1 ? 1 : 0, 1);
      this.stats.dropped++;
    }
    if (!this.#busy && this.#timer === undefined) void this.#pump();
  }

  /** Resolves when the queue is empty (delivered or given up). */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && !this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) this.o.clock.clear(this.#timer);
    this.#timer = undefined;
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    while (this.#queue.length > 0 && !this.#closed) {
      const outcome = await this.#send(this.#queue[0]);
      if (outcome === 'retry') {
        this.#attempt++;
        if (this.#attempt < (this.o.maxAttempts ?? 8)) {
          const delay = reconnectDelay(this.#attempt - 1, { initialMs: this.o.initialDelayMs ?? 500, maxMs: this.o.maxDelayMs ?? 60_000 }, this.o.random);
          this.#busy = false;
          this.#timer = this.o.clock.setTimeout(() => {
            this.#timer = undefined;
            void this.#pump();
          }, delay);
          this.#timer.unref();
          return;
        }
        this.stats.givenUp++;
        this.o.log.error({ err: codedError('ERR_WEBHOOK_DELIVERY', [this.#attempt, 'gave up']) }, 'webhook notification given up');
      }
      if (outcome === 'permanent') this.stats.givenUp++;
      this.#queue.shift();
      this.#attempt = 0;
    }
    this.#busy = false;
    if (this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #send(body: unknown): Promise<'ok' | 'retry' | 'permanent'> {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tributary-cloud' };
    if (this.o.secret) headers['x-tributary-signature'] = `sha256=${createHmac('sha256', this.o.secret).update(text).digest('hex')}`;
    try {
      const res = await fetch(this.o.url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.stats.delivered++;
        return 'ok';
      }
      this.stats.failedAttempts++;
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      this.o.log.warn({ err: codedError('ERR_WEBHOOK_DELIVERY', [this.#attempt + 1, `HTTP ${res.status}`]) }, retry ? 'webhook failed; will retry' : 'webhook refused the notification');
      return retry ? 'retry' : 'permanent';
    } catch (err) {
      this.stats.failedAttempts++;
      this.o.log.warn({ err: codedError('ERR_WEBHOOK_DELIVERY', [this.#attempt + 1, (err as Error).message], { cause: err }) }, 'webhook failed; will retry');
      return 'retry';
    }
  }
}

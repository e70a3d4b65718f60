// Alert notifications: every alert change announced on the bus — raised, updated, acknowledged,
// resolved, from a gateway, the cloud's rules or an operator — is POSTed to alerts.webhook, when
// one is configured, through the retrying notifier (cloud/notify/webhook.ts). The HMAC key is read
// from alerts.webhook.secretFile at open and never logged.
//
// Body: `{ "type": "alert", "change": "raised" | "updated" | "acknowledged" | "resolved", "alert": <StoredAlert> }`.
// With several workers, each notifies the changes it made itself (the bus is per worker), so a
// change is notified once. A change is notified once its write is durable (the bus announces an
// upsert's alerts before), and not at all if the write failed: the gateway sends the event again,
// and it is notified then.

import { readSecretFile } from '../../edge/config/read-file.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { CounterChild } from '../../edge/observe/metrics.js';
import { WebhookNotifier, type WebhookOptions, type WebhookStats } from '../notify/webhook.js';
import type { CloudContext } from '../service/context.js';
import type { StoredAlert } from '../store/contract.js';

export type AlertChange = 'raised' | 'updated' | 'acknowledged' | 'resolved';

export interface AlertNotification {
  readonly type: 'alert';
  readonly change: AlertChange;
  readonly alert: StoredAlert;
}

/** Retry timing and limits for the notifier (tests shorten the delays). */
export type AlertNotificationsOptions = Partial<Pick<WebhookOptions, 'initialDelayMs' | 'maxDelayMs' | 'timeoutMs' | 'maxQueue' | 'random'>>;

export const alertNotifications =
  (options: AlertNotificationsOptions = {}) =>
  (ctx: CloudContext): AlertNotifications =>
    new AlertNotifications(ctx, options);

/** What changed, from the alert alone: the transition made at its last update, else new evidence. */
function changeOf(a: StoredAlert): AlertChange {
  const last = a.history[a.history.length - 1];
  if (!last || last.at !== a.updatedAt) return 'updated';
  return last.to === 'open' ? 'raised' : last.to;
}

export class AlertNotifications extends Resource {
  readonly name = 'alert-notifications';
  #notifier: WebhookNotifier | undefined;
  readonly #onAlert = (a: StoredAlert, stored?: Promise<boolean>) => {
    const notify = () => this.#notifier?.notify({ type: 'alert', change: changeOf(a), alert: a } satisfies AlertNotification);
    if (stored === undefined) notify();
    else void stored.then((ok) => ok && notify());
  };

  constructor(
    private readonly ctx: CloudContext,
    private readonly o: AlertNotificationsOptions = {},
  ) {
    super();
    // The notifier keeps plain counts; copy them into counters whenever metrics are read.
    const outcomes = ctx.metrics.counter('tributary_cloud_webhook_notifications_total', 'Alert notifications by outcome: delivered, given_up (after maxAttempts or a 4xx), dropped (queue full)', ['outcome']);
    const failed = ctx.metrics.counter('tributary_cloud_webhook_failed_attempts_total', 'Webhook requests that failed (each then retried or given up)');
    const sync = (c: CounterChild, value: number) => c.inc(value - c.value);
    ctx.metrics.onRender(() => {
      const st = this.stats;
      sync(outcomes.labels('delivered'), st.delivered);
      sync(outcomes.labels('given_up'), st.givenUp);
      sync(outcomes.labels('dropped'), st.dropped);
      sync(failed.labels(), st.failedAttempts);
    });
    ctx.metrics.gauge('tributary_cloud_webhook_queued', 'Alert notifications waiting for delivery', [], (g) => g.set(this.#notifier?.queued ?? 0));
  }

  /** The notifier's counts (zeros without a webhook). */
  get stats(): Readonly<WebhookStats> {
    return this.#notifier?.stats ?? { delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };
  }

  /** Resolves once every notification so far was delivered or given up. */
  drained(): Promise<void> {
    return this.#notifier?.drained() ?? Promise.resolve();
  }

  protected async _open(): Promise<void> {
    const hook = this.ctx.config.alerts.webhook;
    if (!hook) return;
    const secret = hook.secretFile === undefined ? undefined : await readSecretFile(hook.secretFile, 'webhook secret');
    this.#notifier = new WebhookNotifier({
      ...this.o,
      url: hook.url,
      maxAttempts: hook.maxAttempts,
      ...(secret === undefined ? {} : { secret }),
      clock: this.ctx.clock,
      log: this.ctx.log,
    });
    this.ctx.bus.on('alert', this.#onAlert);
  }

  protected async _close(): Promise<void> {
    this.ctx.bus.off('alert', this.#onAlert);
    this.#notifier?.close();
  }
}

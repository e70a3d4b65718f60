// Webhook notifications against a real HTTP receiver on port 0: retried with backoff through
// failures, delivered in order, signed, and given up only when retrying cannot help.

import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookNotifier } from '../../cloud/notify/webhook.js';
import { systemClock } from '../../edge/clock/clock.js';
import { silentLogger } from '../../edge/observe/log.js';
import { webhookReceiver as receiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

let open: { receiver: WebhookReceiver; notifier: WebhookNotifier } | undefined;
afterEach(async () => {
  open?.notifier.close();
  await open?.receiver[Symbol.asyncDispose]();
  open = undefined;
});

const fast = { clock: systemClock, log: silentLogger(), initialDelayMs: 5, maxDelayMs: 20 };

describe('webhook notifier', () => {
  it('a receiver that fails twice still gets the notification, signed, once', async () => {
    const r = await receiver([503, 500]);
    const notifier = new WebhookNotifier({ url: r.url, secret: 's3cret', ...fast });
    open = { receiver: r, notifier };
    notifier.notify({ alert: 'a1', state: 'raised' });
    await notifier.drained();
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.raw))).toEqual(new Set(['{"alert":"a1","state":"raised"}']));
    const expected = `sha256=${createHmac('sha256', 's3cret').update(r.got[2]!.raw).digest('hex')}`;
    expect(r.got[2]!.signature).toBe(expected);
    expect(notifier.stats).toEqual({ delivered: 1, failedAttempts: 2, givenUp: 0, dropped: 0 });
  });

  it('keeps order across retries', async () => {
    const r = await receiver([500]);
    const notifier = new WebhookNotifier({ url: r.url, ...fast });
    open = { receiver: r, notifier };
    for (const n of [1, 2, 3]) notifier.notify({ n });
    await notifier.drained();
    expect(r.got.map((g) => JSON.parse(g.raw).n)).toEqual([1, 1, 2, 3]);
  });

  it('gives up on a 4xx that retrying cannot fix, and after maxAttempts on failures', async () => {
    const r = await receiver([400, 500, 500]);
    const notifier = new WebhookNotifier({ url: r.url, maxAttempts: 2, ...fast });
    open = { receiver: r, notifier };
    notifier.notify({ n: 1 });
    notifier.notify({ n: 2 });
    await notifier.drained();
    expect(r.got.map((g) => JSON.parse(g.raw).n)).toEqual([1, 2, 2]);
    expect(notifier.stats).toMatchObject({ delivered: 0, givenUp: 2, failedAttempts: 3 });
  });

  it('drops the oldest beyond maxQueue and counts it', async () => {
    const r = await receiver([]);
    const notifier = new WebhookNotifier({ url: r.url, maxQueue: 2, ...fast });
    open = { receiver: r, notifier };
    for (const n of [1, 2, 3, 4]) notifier.notify({ n });
    await notifier.drained();
    // 1 is in flight when the others arrive, leaving room for one waiting: 2, then 3, make way.
    expect(r.got.map((g) => JSON.parse(g.raw).n)).toEqual([1, 4]);
    expect(notifier.stats.dropped).toBe(2);
  });
});

// An alert is announced on the worker's bus, where the live stream hears it, as soon as the store
// has decided it, before its write is durable; the webhook waits for the write and is not called
// when the write fails. On a real LevelDB store, with its alert upserts held after their write (a
// slow disk) or failing after their decision (a failed write), and a real webhook receiver.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertNotifications } from '../../cloud/alerts/notifications.js';
import { recordAlertEvents } from '../../cloud/alerts/record.js';
import type { CloudContext } from '../../cloud/service/context.js';
import { applyAlertEvent } from '../../cloud/store/alert-lifecycle.js';
import type { AlertUpsertResult, CloudAlertEvent, CloudStore, StoredAlert } from '../../cloud/store/contract.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { systemClock } from '../../edge/clock/clock.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { cloudFixture, type CloudFixture } from '../helpers/cloud-context.js';
import { expectCode } from '../helpers/errors.js';
import { waitFor } from '../helpers/wait.js';
import { webhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const T0 = Date.UTC(2026, 11, 2, 8);

function raised(device: string): CloudAlertEvent {
  return {
    id: alertId('gw-1', device, 'vibration-high', T0),
    revision: 0,
    state: 'raised',
    gateway: 'gw-1',
    device,
    rule: 'vibration-high',
    ruleType: 'reading-threshold',
    severity: 'critical',
    raisedAt: T0,
    at: T0,
    emittedAt: T0 + 2,
    message: `vib_rms above 3.5 on ${device}`,
    evidence: { rule: { type: 'reading-threshold', metric: 'vib_rms', above: 3.5 } },
  };
}

/** The fixture's store, with alert upserts that wait for `release()` after writing, or fail after deciding. */
function unsteadyStore(store: CloudStore) {
  let release: () => void = () => {};
  let mode: 'hold' | 'fail' | 'pass' = 'pass';
  const upsertAlerts: CloudStore['upsertAlerts'] = async (events, onDecided) => {
    if (mode === 'fail') {
      // Decided as the store decides a first event, announced, and then the write fails.
      const results: AlertUpsertResult[] = events.map((e) => {
        const { outcome, alert } = applyAlertEvent(undefined, e, systemClock.now());
        return { id: e.id, revision: e.revision, outcome, state: alert.state, alert };
      });
      onDecided?.(results);
      throw codedError('ERR_STORE_WRITE', ['No space left on device']);
    }
    const results = await store.upsertAlerts(events, onDecided);
    if (mode === 'hold') await new Promise<void>((resolve) => (release = resolve));
    return results;
  };
  const proxy = new Proxy(store, {
    get: (target, key) => (key === 'upsertAlerts' ? upsertAlerts : (Reflect.get(target, key, target) as unknown)),
  });
  return {
    store: proxy as CloudStore,
    set: (m: typeof mode) => (mode = m),
    release: () => release(),
  };
}

let fx: CloudFixture;
let ctx: CloudContext;
let unsteady: ReturnType<typeof unsteadyStore>;
let hook: WebhookReceiver;
let notifications: AlertNotifications;
const announced: Array<{ alert: StoredAlert; stored: Promise<boolean> | undefined }> = [];

beforeAll(async () => {
  hook = await webhookReceiver();
  fx = await cloudFixture({ clock: systemClock, config: { alerts: { webhook: { url: hook.url } } } });
  unsteady = unsteadyStore(fx.ctx.store);
  ctx = { ...fx.ctx, store: unsteady.store };
  notifications = new AlertNotifications(ctx, { initialDelayMs: 5, maxDelayMs: 20 });
  await notifications.open();
  ctx.bus.on('alert', (alert, stored) => announced.push({ alert, stored }));
});

afterAll(async () => {
  await notifications?.close();
  await fx?.[Symbol.asyncDispose]();
  await hook?.[Symbol.asyncDispose]();
});

const notified = () => hook.got.map((g) => JSON.parse(g.raw) as { change: string; alert: StoredAlert });

describe('an alert is announced when decided, notified when durable', () => {
  it('is on the bus while its write is held, and reaches the webhook only once the write has ended', async () => {
    const event = raised('pump-1');
    unsteady.set('hold');
    let settled = false;
    const recording = recordAlertEvents(ctx, [event]).finally(() => (settled = true));
    const [first] = await waitFor(() => (announced.length === 1 ? announced : undefined), 'the alert on the bus');
    expect(first!.alert).toMatchObject({ id: event.id, state: 'open' });
    expect(first!.stored).toBeInstanceOf(Promise);
    // The store has decided and written it, but the upsert has not ended: nothing for the webhook yet.
    await notifications.drained();
    expect(settled).toBe(false);
    expect(hook.got).toEqual([]);

    unsteady.release();
    await recording;
    expect(await first!.stored).toBe(true);
    await waitFor(() => hook.got.length === 1, 'the notification');
    await notifications.drained();
    expect(notified().map((n) => [n.change, n.alert.id])).toEqual([['raised', event.id]]);
    expect(await fx.ctx.store.alert(event.id)).toEqual(first!.alert);
  });

  it('a failed write: announced, never notified; sent again, announced again and notified once', async () => {
    const event = raised('pump-2');
    announced.length = 0;
    hook.got.length = 0;
    unsteady.set('fail');
    await expectCode(recordAlertEvents(ctx, [event]), 'ERR_STORE_WRITE');
    expect(announced.map((a) => a.alert.id)).toEqual([event.id]);
    expect(await announced[0]!.stored).toBe(false);
    await notifications.drained();
    expect(hook.got).toEqual([]);
    expect(await fx.ctx.store.alert(event.id)).toBeUndefined();

    // The gateway had no ack, so it sends the event again.
    unsteady.set('pass');
    const { results } = await recordAlertEvents(ctx, [event]);
    expect(results.map((r) => r.outcome)).toEqual(['inserted']);
    expect(announced.map((a) => a.alert.id)).toEqual([event.id, event.id]);
    expect(await announced[1]!.stored).toBe(true);
    await waitFor(() => hook.got.length === 1, 'the notification');
    await notifications.drained();
    expect(notified().map((n) => [n.change, n.alert.id])).toEqual([['raised', event.id]]);
  });
});

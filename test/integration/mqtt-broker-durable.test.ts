// The embedded broker with ackAfterDurable: a QoS 1 PUBACK leaves only once ctx.emitDurable has
// resolved, in PUBLISH order; a refusal disconnects the client without one; QoS 0 is untouched;
// and wired to a real ingest log, a publish is acknowledged only once its reading is on disk.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import type { RawMessage, SourceContext } from '../../edge/source/contract.js';
import { MqttBrokerSource } from '../../edge/source/mqtt-broker/source.js';
import { openDb } from '../../edge/store/db.js';
import { IngestLog } from '../../edge/store/ingest-log.js';
import { connectClient, recordingContext, Teardown, whenClosed } from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

interface Pending {
  readonly message: RawMessage;
  resolve(): void;
  reject(err: Error): void;
}

/** A broker whose emitDurable parks each message until the test settles it. */
async function start(emitDurable?: (m: RawMessage) => Promise<void>) {
  const rec = recordingContext(new FakeClock());
  const pending: Pending[] = [];
  const ctx: SourceContext = {
    ...rec.ctx,
    emitDurable: emitDurable ?? ((message) => new Promise<void>((resolve, reject) => pending.push({ message, resolve, reject }))),
  };
  const source = teardown.add(
    new MqttBrokerSource({ enabled: true, host: '127.0.0.1', port: 0, noDelay: true, maxConnections: 10 }, { allowAnonymous: true, users: {} }, 'sensors', ctx, { ackAfterDurable: true }),
  );
  await source.open();
  return { ...rec, source, pending, url: `mqtt://127.0.0.1:${source.port}` };
}

describe('MqttBrokerSource with ackAfterDurable', () => {
  it('sends the PUBACK only once emitDurable resolves', async () => {
    const b = await start();
    const device = await connectClient(b.url, { clientId: 'pump-1' }, teardown);
    let acked = false;
    const publish = device.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 }).then(() => (acked = true));
    await waitFor(() => b.pending.length === 1, 'the durable hand-over');
    expect(b.pending[0]!.message).toMatchObject({ source: 'mqtt-broker', topic: 'sensors/pump-1', payload: Buffer.from('temp=1') });
    // Another client's QoS 0 message goes all the way through meanwhile; pump-1 still has no PUBACK.
    const other = await connectClient(b.url, { clientId: 'pump-2' }, teardown);
    await other.publishAsync('sensors/pump-2', 'temp=2', { qos: 0 });
    await waitFor(() => b.messages.length === 1, 'the QoS 0 message');
    expect(b.messages[0]!.topic).toBe('sensors/pump-2');
    expect(acked).toBe(false);
    b.pending[0]!.resolve();
    await publish;
    expect(acked).toBe(true);
    expect(b.messages).toHaveLength(1); // the QoS 1 message went to emitDurable only
  });

  it('acknowledges pipelined publishes in PUBLISH order as they become durable', async () => {
    const b = await start();
    const device = await connectClient(b.url, { clientId: 'pump-1' }, teardown);
    const acks: number[] = [];
    const publishes = [0, 1, 2, 3].map((i) => device.publishAsync('sensors/pump-1', `temp=${i}`, { qos: 1 }).then(() => acks.push(i)));
    await waitFor(() => b.pending.length === 4, 'four durable hand-overs');
    expect(b.pending.map((p) => p.message.payload.toString())).toEqual(['temp=0', 'temp=1', 'temp=2', 'temp=3']);
    for (const p of b.pending) p.resolve();
    await Promise.all(publishes);
    expect(acks).toEqual([0, 1, 2, 3]);
  });

  it('disconnects the client without a PUBACK when emitDurable refuses', async () => {
    const b = await start(() => Promise.reject(codedError('ERR_STORE_LOG_FULL', [100, 100])));
    const device = await connectClient(b.url, { clientId: 'pump-1' }, teardown);
    let acked = false;
    void device.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 }).then(() => (acked = true), () => {});
    await whenClosed(device);
    expect(acked).toBe(false);
  });

  it('holds durable hand-overs while paused, and hands them over on resume', async () => {
    const b = await start();
    const device = await connectClient(b.url, { clientId: 'pump-1' }, teardown);
    const first = device.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 });
    await waitFor(() => b.pending.length === 1, 'the first hand-over');
    b.source.pause(); // the pipeline fell behind
    const second = device.publishAsync('sensors/pump-1', 'temp=2', { qos: 1 });
    b.pending[0]!.resolve();
    await first;
    expect(b.pending).toHaveLength(1);
    b.source.resume();
    await waitFor(() => b.pending.length === 2, 'the second hand-over after resume');
    b.pending[1]!.resolve();
    await second;
  });

  it('refuses the option without emitDurable (TypeError)', () => {
    const rec = recordingContext();
    expect(() => new MqttBrokerSource({ enabled: true, host: '127.0.0.1', port: 0, noDelay: true, maxConnections: 1 }, { allowAnonymous: true, users: {} }, 'sensors', rec.ctx, { ackAfterDurable: true })).toThrow(TypeError);
  });

  it('wired to a real ingest log, acknowledges a reading only once it is on disk', async () => {
    using dir = tempDir();
    const db = await openDb(dir.path);
    teardown.defer(() => db.close());
    const clock = new FakeClock();
    const log = teardown.add(new IngestLog({ db, clock, log: silentLogger(), metrics: new Registry(), commitIntervalMs: 1000 }));
    await log.open();
    const b = await start(async (m) => {
      const device = m.topic.split('/')[1]!;
      await log.append({ device, ts: m.receivedAt, tsFromArrival: true, receivedAt: m.receivedAt, values: { temp: Number(m.payload.toString().split('=')[1]) } });
    });
    const device = await connectClient(b.url, { clientId: 'pump-1' }, teardown);
    let acked = false;
    const publish = device.publishAsync('sensors/pump-1', 'temp=71.5', { qos: 1 }).then(() => (acked = true));
    await waitFor(() => log.queued === 1, 'the append');
    expect(acked).toBe(false);
    expect(log.committedSeq).toBe(-1);
    clock.advance(1000); // the group commit fires
    await publish;
    expect(log.committedSeq).toBe(0);
    const back = [];
    for await (const r of log.readFrom(0)) back.push(r.reading.values);
    expect(back).toEqual([{ temp: 71.5 }]);
  });
});

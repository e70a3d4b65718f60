// Benchmark child: the system under test. `gateway` runs the Tributary gateway on its embedded
// broker; `bare` runs a bare aedes broker with the same socket options (the baseline).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { validateConfig } from '../../../edge/config/load.js';
import { Gateway } from '../../../edge/gateway/gateway.js';
import type { Counter } from '../../../edge/observe/metrics.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { preciseNow } from '../stats.js';
import { onMessage, send } from './child.js';
import type { FromServer, ToServer } from './protocol.js';

const mode = process.argv[2];
/** Config over the benchmark's defaults (JSON), e.g. durability settings. */
const overrides = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const rssMB = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;

/** Bytes this process caused to be written to storage so far (Linux), or undefined elsewhere. */
function writeBytes(): number | undefined {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

if (mode === 'gateway') {
  const dir = tempDir('tributary-bench-');
  const arrivals: Array<[string, number]> = [];
  let recordArrivals = false;
  const config = validateConfig({
    gateway: { id: 'bench' },
    dataDir: dir.path,
    mqtt: { broker: { host: '127.0.0.1', port: 0, noDelay: true } },
    auth: { allowAnonymous: true },
    windows: { definitions: [{ kind: 'tumbling', sizeMs: 1000 }, { kind: 'hopping', sizeMs: 10000, slideMs: 1000 }], allowedLatenessMs: 2000, maxOutOfOrdernessMs: 500 },
    http: { enabled: false },
    log: { level: 'warn' },
    ...overrides,
  });
  const gateway = new Gateway(config, {
    onWindowed: (r) => {
      if (recordArrivals && r.values.seq !== undefined) arrivals.push([`${r.device}:${r.values.seq}`, preciseNow()]);
    },
  });
  await gateway.open();
  const port = gateway.source<{ port: number } & import('../../../edge/source/contract.js').Source>('mqtt-broker')!.port;
  const decodedTotal = gateway.metrics.get('tributary_readings_decoded_total') as Counter;
  onMessage<ToServer>(async (m) => {
    if (m.cmd === 'count') {
      const logBytes = (gateway.metrics.get('tributary_log_bytes_written_total') as Counter | undefined)?.get();
      send<FromServer>({ type: 'count', count: decodedTotal.get(), rssMB: rssMB(), ...(writeBytes() !== undefined ? { writeBytes: writeBytes()! } : {}), ...(logBytes !== undefined ? { logBytes } : {}) });
    }
    else if (m.cmd === 'arrivals') {
      send<FromServer>({ type: 'arrivals', arrivals: arrivals.splice(0) });
      recordArrivals = true;
    } else if (m.cmd === 'stop') {
      await gateway.close();
      dir[Symbol.dispose]();
      process.exit(0);
    }
  });
  send<FromServer>({ type: 'ready', port });
} else if (mode === 'bare') {
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onMessage<ToServer>((m) => {
    if (m.cmd === 'count') send<FromServer>({ type: 'count', count: 0, rssMB: rssMB() });
    // Exit without draining: after a flood, aedes may hold a backlog for the subscriber whose
    // teardown recurses deeply; the measurement is already taken.
    else if (m.cmd === 'stop') process.exit(0);
  });
  send<FromServer>({ type: 'ready', port: (server.address() as import('node:net').AddressInfo).port });
} else {
  throw new TypeError(`usage: server.js gateway|bare, got ${mode}`);
}

// An uplink rig for tests and benchmarks: a plain aedes broker on port 0, the acknowledging peer,
// an outbox on a real LevelDB in a temp dir, and the uplink between them. Everything is closed by
// the rig's close(), in reverse order.

import type { Clock } from '../../edge/clock/clock.js';
import { systemClock } from '../../edge/clock/clock.js';
import { schemaFile } from '../../edge/config/schema-file.js';
import { UplinkSchema, type UplinkConfig } from '../../edge/config/uplink-schema.js';
import { silentLogger, type Logger } from '../../edge/observe/log.js';
import type { Registry } from '../../edge/observe/metrics.js';
import { Uplink, type UplinkOptions } from '../../edge/uplink/client.js';
import type { UplinkClass } from '../../edge/uplink/topics.js';
import { AckPeer } from './ack-peer.js';
import { startPlainBroker, type PlainBroker } from './mqtt.js';
import { openTestOutbox, type TestOutbox, type TestOutboxOptions } from './outbox.js';
import { tempDir, type TempDir } from './temp-dir.js';

export const GATEWAY = 'gw-7';

const uplinkSchema = schemaFile<UplinkConfig>(UplinkSchema, { codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' } });

/** An uplink config with the schema's defaults, as the config loader makes it. */
export function uplinkConfig(overrides: Partial<UplinkConfig> & { url: string }): UplinkConfig {
  return uplinkSchema.validate(overrides);
}

export interface RigOptions {
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly outbox?: TestOutboxOptions;
  /** Uplink config keys over the defaults (url is filled in). */
  readonly uplink?: Partial<UplinkConfig>;
  readonly priority?: Record<UplinkClass, number>;
  readonly onDown?: UplinkOptions['onDown'];
  /** Start the peer (default true): without it nothing acknowledges. */
  readonly peer?: boolean;
  /** Open the uplink (default true). */
  readonly startUplink?: boolean;
  /** A broker already running (to share one between rigs, or restart around one). */
  readonly broker?: PlainBroker;
}

export interface Rig {
  readonly broker: PlainBroker;
  readonly url: string;
  peer: AckPeer | undefined;
  readonly box: TestOutbox;
  readonly uplink: Uplink;
  readonly metrics: Registry;
  readonly dir: TempDir;
  startPeer(): Promise<AckPeer>;
  close(): Promise<void>;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger();
  const dir = tempDir('tributary-uplink-');
  const broker = options.broker ?? (await startPlainBroker());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const box = await openTestOutbox(dir.path, { clock, log, ...options.outbox });
  const metrics = box.metrics;
  const uplink = new Uplink({
    gateway: GATEWAY,
    config: uplinkConfig({ url, ...options.uplink }),
    outbox: box.outbox,
    clock,
    log,
    metrics,
    ...(options.priority ? { priority: options.priority } : {}),
    ...(options.onDown ? { onDown: options.onDown } : {}),
  });
  const rig: Rig = {
    broker, url, box, uplink, metrics, dir,
    peer: undefined,
    async startPeer() {
      rig.peer = await AckPeer.start({ url });
      return rig.peer;
    },
    async close() {
      await uplink.close();
      await rig.peer?.close();
      await box.close();
      if (!options.broker) await broker.close();
      dir[Symbol.dispose]();
    },
  };
  if (options.peer ?? true) await rig.startPeer();
  if (options.startUplink ?? true) await uplink.open();
  return rig;
}

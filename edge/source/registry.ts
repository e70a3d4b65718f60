// The registry of sources: every Source implementation, and which instances a config asks for.

import type { EdgeConfig } from '../config/schema.js';
import type { Source, SourceContext } from './contract.js';
import { ModbusSource } from './modbus/source.js';
import { MqttBrokerSource } from './mqtt-broker/source.js';
import { MqttClientSource } from './mqtt-client/source.js';
import { SerialLineSource } from './serial/source.js';

interface SourceKind {
  /** The sources of this kind the config asks for (none, one, or one per configured port). */
  readonly create: (config: Readonly<EdgeConfig>, ctx: SourceContext) => Source[];
}

export const sourceKinds = {
  'mqtt-broker': { create: (c, ctx) => (c.mqtt.broker.enabled ? [new MqttBrokerSource(c.mqtt.broker, c.auth, c.mqtt.topicPrefix, ctx, { ackAfterDurable: c.mqtt.broker.ackAfterDurable && ctx.emitDurable !== undefined })] : []) },
  'mqtt-client': { create: (c, ctx) => (c.mqtt.client ? [new MqttClientSource(c.mqtt.client, c.mqtt.topicPrefix, ctx)] : []) },
  serial: { create: (c, ctx) => c.serial.map((port) => new SerialLineSource(port, ctx)) },
  modbus: { create: (c, ctx) => c.modbus.map((port) => new ModbusSource(port, ctx)) },
} as const satisfies Record<string, SourceKind>;

/** The sources this config turns on, not yet open. */
export function createSources(config: Readonly<EdgeConfig>, ctx: SourceContext): Source[] {
  return Object.values(sourceKinds).flatMap((kind): Source[] => kind.create(config, ctx));
}

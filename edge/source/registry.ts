// The registry of sources: every Source implementation, and which ones a config turns on.

import type { EdgeConfig } from '../config/schema.js';
import type { Source, SourceContext } from './contract.js';
import { MqttBrokerSource } from './mqtt-broker/source.js';
import { MqttClientSource } from './mqtt-client/source.js';

interface SourceKind {
  /** Whether this config asks for the source. */
  readonly enabled: (config: Readonly<EdgeConfig>) => boolean;
  readonly create: (config: Readonly<EdgeConfig>, ctx: SourceContext) => Source;
}

export const sourceKinds = {
  'mqtt-broker': {
    enabled: (c) => c.mqtt.broker.enabled,
    create: (c, ctx) => new MqttBrokerSource(c.mqtt.broker, c.auth, c.mqtt.topicPrefix, ctx),
  },
  'mqtt-client': {
    enabled: (c) => c.mqtt.client !== undefined,
    create: (c, ctx) => new MqttClientSource(c.mqtt.client!, c.mqtt.topicPrefix, ctx),
  },
} as const satisfies Record<string, SourceKind>;

/** The sources this config turns on, not yet open. */
export function createSources(config: Readonly<EdgeConfig>, ctx: SourceContext): Source[] {
  return Object.values(sourceKinds)
    .filter((kind) => kind.enabled(config))
    .map((kind) => kind.create(config, ctx));
}

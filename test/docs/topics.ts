// The README's MQTT topic reference: the devices' topic on the gateway, then every topic and
// subscription of the uplink protocol from its own catalogue (edge/uplink/topics.ts), then the
// cloud's shared subscription when it consumes from an existing broker.

import { sharedFilter } from '../../cloud/ingest/shared-subscriber.js';
import { EdgeConfigSchema } from '../../edge/config/schema.js';
import { topicCatalogue } from '../../edge/uplink/topics.js';
import { code, prose, table } from './markdown.js';

export function topicsMarkdown(): string {
  const prefix = EdgeConfigSchema.properties.mqtt.properties.topicPrefix.default as string;
  const rows: string[][] = [
    [code('<mqtt.topicPrefix>/<device>'), 'device → gateway', 'publish', prose(`a reading (The reading format); the prefix defaults to \`${prefix}\`, so \`${prefix}/<device>\``)],
    ...topicCatalogue().map((t) => [code(t.topic), t.direction, t.use, prose(t.carries)]),
    [code(sharedFilter('<mqtt.client.shareGroup>')), 'gateway → cloud', 'subscribe', prose('what cloud workers sharing an existing MQTT 5 broker subscribe to: the broker splits the messages among them')],
  ];
  return table(['topic', 'direction', 'use', 'carries'], rows);
}

// Who may do what on the cloud's embedded broker: a gateway publishes only under its own up topics
// and subscribes only to its own down topics. Everything else is refused.
//
// Publishing: `tributary/<v>/<its id>/up/<class>`. The version and class levels are not judged
// here: a newer gateway's message (v2, or a class this cloud does not know) is taken in and
// dead-lettered with its reason by the decoder, which says more than a closed connection would.
// Subscribing: `tributary/v1/<its id>/ack`, `/config`, `/model`, or `/+` for all three (what the
// uplink subscribes to). Only the cloud publishes there; no `#`, no `$share`, no `$SYS`.

import { parseTopic, PROTOCOL_VERSION, uplinkTopics } from '../../edge/uplink/topics.js';

/** Why a publish was refused (a metric label). */
export type GatewayDenyReason = 'bad_topic' | 'other_gateway';

export type GatewayPublishDecision = { readonly ok: true } | { readonly ok: false; readonly reason: GatewayDenyReason };

const DOWN_KINDS = ['ack', 'config', 'model', '+'] as const;

/** May gateway `gateway` publish to `topic`? */
export function mayPublish(gateway: string, topic: string): GatewayPublishDecision {
  // MQTT 3.1.1 §4.7.2: `$` topics are the server's; §3.3.2.1: no wildcards in a topic name.
  if (topic.charCodeAt(0) === 0x24 || topic.includes('+') || topic.includes('#')) return { ok: false, reason: 'bad_topic' };
  const parsed = parseTopic(topic);
  if (parsed === undefined || parsed.direction !== 'up') return { ok: false, reason: 'bad_topic' };
  if (parsed.gateway !== gateway) return { ok: false, reason: 'other_gateway' };
  return { ok: true };
}

/** May gateway `gateway` subscribe with `filter`? Exactly its own down topics of this protocol version. */
export function maySubscribe(gateway: string, filter: string): boolean {
  const own = uplinkTopics.ack(gateway).slice(0, -'ack'.length);
  if (!filter.startsWith(own) || !filter.startsWith(`tributary/v${PROTOCOL_VERSION}/`)) return false;
  return (DOWN_KINDS as readonly string[]).includes(filter.slice(own.length));
}

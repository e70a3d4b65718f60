// The uplink's MQTT topics: one tree per gateway, `tributary/v<version>/<gateway>/...`, items going
// up by class; acknowledgements, config pushes and model pushes coming down.

/** The wire protocol version: the topic's `v<n>` level and every message's `v` field. */
export const PROTOCOL_VERSION = 1;

/** What the uplink carries, one class per message. The order is the drain priority on reconnect. */
export const UPLINK_CLASSES = ['alert', 'summary', 'raw', 'status'] as const;
export type UplinkClass = (typeof UPLINK_CLASSES)[number];

const ROOT = 'tributary';
const V = `v${PROTOCOL_VERSION}`;

/** Gateway ids are topic-safe by construction (config pattern): no `/`, `+` or `#`. */
export const uplinkTopics = {
  /** Gateway → cloud: a batch of one class. */
  up: (gateway: string, cls: UplinkClass): string => `${ROOT}/${V}/${gateway}/up/${cls}`,
  /** Cloud → gateway: acknowledgements and rejections of items by id. */
  ack: (gateway: string): string => `${ROOT}/${V}/${gateway}/ack`,
  /** Cloud → gateway: configuration push (edge/uplink/push-schemas.ts); QoS 1, not retained. */
  config: (gateway: string): string => `${ROOT}/${V}/${gateway}/config`,
  /** Cloud → gateway: model push, one model per message; QoS 1, not retained. */
  model: (gateway: string): string => `${ROOT}/${V}/${gateway}/model`,
  /** The gateway subscribes here: everything addressed to it, in this version. */
  down: (gateway: string): string => `${ROOT}/${V}/${gateway}/+`,
  /**
   * The cloud subscribes here: every version, gateway and class, so a message from a newer gateway
   * is seen and dead-lettered as `unsupported_version` instead of vanishing unnoticed.
   */
  allUp: `${ROOT}/+/+/up/+`,
} as const;

export type ParsedTopic =
  | { readonly direction: 'up'; readonly version: string; readonly gateway: string; readonly class: string }
  | { readonly direction: 'down'; readonly version: string; readonly gateway: string; readonly kind: string };

/**
 * Split a Tributary topic into its levels, without judging the version or class (the decoder
 * does, with a reason code). Undefined for a topic outside the `tributary/` tree or of the wrong shape.
 */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== ROOT || parts.some((p) => p.length === 0)) return undefined;
  const [, version, gateway] = parts as [string, string, string];
  if (parts.length === 5 && parts[3] === 'up') return { direction: 'up', version, gateway, class: parts[4]! };
  if (parts.length === 4) return { direction: 'down', version, gateway, kind: parts[3]! };
  return undefined;
}

/** The number in a `v<n>` topic level, or undefined when it is not one. */
export function topicVersion(level: string): number | undefined {
  return /^v[1-9][0-9]{0,5}$/.test(level) ? Number(level.slice(1)) : undefined;
}

export function isUplinkClass(value: string): value is UplinkClass {
  return (UPLINK_CLASSES as readonly string[]).includes(value);
}

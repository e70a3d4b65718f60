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

/** What each class's up topic carries, for the topic catalogue (and the README). */
const CLASS_CARRIES: Readonly<Record<UplinkClass, string>> = {
  alert: 'batches of alert events',
  summary: 'batches of window summaries',
  raw: 'flight-recorder snippets (raw readings around an alert)',
  status: 'status reports: backlog and data-loss ledger',
};

export interface TopicSpec {
  /** The topic, or a subscription filter, with `<gateway>` standing for a gateway id. */
  readonly topic: string;
  readonly direction: 'gateway → cloud' | 'cloud → gateway';
  /** Published to, or subscribed to (a filter). */
  readonly use: 'publish' | 'subscribe';
  readonly carries: string;
}

/**
 * Every topic of the uplink protocol, built by the functions above (so the catalogue cannot drift
 * from what the two ends use): the up topics per class, the down topics, then the subscriptions.
 */
export function topicCatalogue(gateway = '<gateway>'): readonly TopicSpec[] {
  return [
    ...UPLINK_CLASSES.map((c): TopicSpec => ({ topic: uplinkTopics.up(gateway, c), direction: 'gateway → cloud', use: 'publish', carries: CLASS_CARRIES[c] })),
    { topic: uplinkTopics.ack(gateway), direction: 'cloud → gateway', use: 'publish', carries: 'acknowledgements and rejections, by item id' },
    { topic: uplinkTopics.config(gateway), direction: 'cloud → gateway', use: 'publish', carries: 'reserved (configuration push, issue #7)' },
    { topic: uplinkTopics.model(gateway), direction: 'cloud → gateway', use: 'publish', carries: 'reserved (model push, issue #7)' },
    { topic: uplinkTopics.down(gateway), direction: 'cloud → gateway', use: 'subscribe', carries: 'what a gateway subscribes to: everything addressed to it in its version' },
    {
      topic: uplinkTopics.allUp,
      direction: 'gateway → cloud',
      use: 'subscribe',
      carries: 'what the cloud subscribes to: every version, gateway and class, so a newer gateway\'s message is dead-lettered rather than lost',
    },
  ];
}

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

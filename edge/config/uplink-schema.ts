// Config schema of store-and-forward to the cloud: the outbox (`outbox`: byte budget, per-class
// priority and TTL), the uplink to the cloud's broker (`uplink`; absent: the gateway keeps
// everything in its outbox and sends nothing) and the flight recorder's upload side
// (`flightRecorder`). The gateway config embeds all three; checkUplinkConfig adds what a schema
// cannot express.

import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Ms = (description: string, def: number, minimum = 0) =>
  Type.Integer({ minimum, default: def, description: `${description} (milliseconds, default ${def})` });

const Bytes = (description: string, def: number, minimum = 1) =>
  Type.Integer({ minimum, default: def, description: `${description} (bytes, default ${def})` });

const Strict = <T extends Record<string, TSchema>>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, default: {}, description });

const DAY = 86_400_000;

const OutboxClass = (priority: number, ttlMs: number, what: string) =>
  Strict(
    {
      priority: Type.Integer({ minimum: 0, default: priority, description: `sending order among the classes, lowest first (default ${priority})` }),
      ttlMs: Ms('items not acknowledged after this long are dropped and counted as expired; 0 keeps them until acknowledged or evicted', ttlMs),
    },
    what,
  );

export const OutboxSchema = Strict(
  {
    maxBytes: Bytes(
      'the disk budget every class shares, counted as the bytes of keys and values handed to LevelDB (a summary takes about 130); beyond it the oldest raw snippets are evicted, then the oldest summaries, then status reports, and alert events only when nothing else is left. The outbox also holds about 170 bytes of memory per queued item (64 MiB of summaries: about 500,000 items, 85 MB of memory)',
      64 * 1024 * 1024,
      64 * 1024,
    ),
    expireIntervalMs: Ms('how often items past their TTL are looked for', 60_000, 1000),
    classes: Strict(
      {
        alert: OutboxClass(0, 0, 'alert events'),
        status: OutboxClass(1, DAY, 'status reports (backlog and loss ledger)'),
        summary: OutboxClass(2, 7 * DAY, 'window summaries'),
        raw: OutboxClass(3, DAY, 'flight-recorder snippets: raw readings around an alert'),
      },
      'per class: sending priority and TTL',
    ),
  },
  'what waits for the cloud: one byte budget on disk for alerts, summaries, raw snippets and status reports',
);

export const UplinkSchema = Type.Object(
  {
    url: Type.String({ pattern: '^mqtts?://', description: "the cloud's MQTT broker, mqtts://host:8883 (or mqtt:// on a trusted network)" }),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'MQTT client id; must be stable for the persistent session (default tributary-<gateway id>)' })),
    username: Type.Optional(Type.String({ minLength: 1, description: 'user name for token authentication' })),
    tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the token sent as the MQTT password (kept out of the config and the logs); needs username' })),
    caFile: Type.Optional(Type.String({ minLength: 1, description: "PEM CA bundle the cloud broker's certificate must chain to (default: the system's CAs)" })),
    certFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (with keyFile): authenticates the gateway by certificate' })),
    keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of certFile' })),
    gzip: Type.Boolean({ default: true, description: 'gzip messages of at least gzipMinBytes (default true)' }),
    gzipMinBytes: Bytes('smaller messages go uncompressed', 256, 0),
    maxBatchItems: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'items per message at most (default 500)' }),
    maxMessageBytes: Bytes('largest message payload, after compression; a batch that would be larger is split', 256 * 1024, 1024),
    maxInFlightBatches: Type.Integer({ minimum: 1, default: 8, description: 'messages sent and not yet acknowledged at most; alert events have as many again of their own, so they never wait for acks of other classes (default 8)' }),
    lingerMs: Ms('items other than alert events are sent once none has been queued for this long (or maxLingerMs after the first), so items share messages and a burst of window closings is sent once it is over', 100),
    maxLingerMs: Ms('items other than alert events wait at most this long after the first of them was queued, however steadily more are queued: the size of a message while windows close one after another', 200),
    ackTimeoutMs: Ms('items of a message not acknowledged after this long are sent again', 30_000, 1),
    bytesPerSec: Type.Integer({ minimum: 0, default: 0, description: 'bandwidth budget: payload bytes per second on average; 0 is no limit (bytes per second, default 0)' }),
    burstBytes: Type.Optional(Type.Integer({ minimum: 1, description: 'largest burst above bytesPerSec (bytes, default 2 seconds of bytesPerSec)' })),
    liveReserve: Type.Number({
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0.25,
      description: 'share of the burst that backlog (and raw snippets) may not use, so alerts and live summaries never wait behind it (0-1, default 0.25)',
    }),
    liveWindowMs: Ms('items queued this recently are live: sent newest first before any backlog; older ones are backlog, sent oldest first', 60_000, 1),
    statusIntervalMs: Ms('how often a status report (backlog, byte budget, loss ledger) is queued', 60_000, 1000),
    reconnectInitialMs: Ms('first retry delay after the connection drops or fails; doubles up to reconnectMaxMs', 1000, 1),
    reconnectMaxMs: Ms('longest retry delay', 60_000, 1),
    connectTimeoutMs: Ms('how long one attempt waits for CONNACK', 30_000, 1),
    keepaliveSeconds: Type.Integer({ minimum: 0, default: 60, description: 'MQTT keepalive (seconds, default 60)' }),
  },
  { additionalProperties: false, description: "the link to the cloud's broker (MQTT, QoS 1, persistent session); absent: nothing is sent" },
);

export const FlightRecorderSchema = Strict(
  {
    enabled: Type.Boolean({ default: true, description: 'queue the raw readings around each raised alert for upload (default true)' }),
    beforeMs: Ms('raw readings this long before the alert (event time)', 60_000),
    afterMs: Ms('and this long after it; the snippet is cut once the gateway clock has passed that', 30_000),
    settleMs: Ms('extra wait after the end of the range, for readings still on their way', 5_000),
    maxPartBytes: Bytes('a snippet is sent in parts of at most this much JSON each', 128 * 1024, 4096),
    maxReadings: Type.Integer({ minimum: 1, default: 50_000, description: 'readings per snippet at most, oldest kept (default 50000)' }),
  },
  'the flight recorder: raw readings around an alert, read from the ingest log and queued as raw snippets; beforeMs + afterMs + settleMs must fit in the ingest log retention',
);

export type OutboxConfig = Static<typeof OutboxSchema>;
export type UplinkConfig = Static<typeof UplinkSchema>;
export type FlightRecorderConfig = Static<typeof FlightRecorderSchema>;

/** What the schema cannot say, `path: problem`, for the config loader's semantic checks. */
export function checkUplinkConfig(c: { readonly uplink?: UplinkConfig; readonly flightRecorder: FlightRecorderConfig }, ingestLogRetentionMs?: number): string[] {
  const problems: string[] = [];
  const u = c.uplink;
  if (u) {
    if ((u.certFile === undefined) !== (u.keyFile === undefined)) problems.push('uplink: certFile and keyFile go together');
    if (u.tokenFile !== undefined && u.username === undefined) problems.push('uplink.tokenFile: needs uplink.username (MQTT 3.1.1 §3.1.2.9: no password without a user name)');
    if (u.reconnectMaxMs < u.reconnectInitialMs) problems.push('uplink.reconnectMaxMs: smaller than reconnectInitialMs');
  }
  const f = c.flightRecorder;
  if (f.enabled && ingestLogRetentionMs !== undefined && f.beforeMs + f.afterMs + f.settleMs > ingestLogRetentionMs) {
    problems.push(`flightRecorder: beforeMs + afterMs + settleMs (${f.beforeMs + f.afterMs + f.settleMs}) exceeds the ingest log retention (${ingestLogRetentionMs} ms): the snippet would miss its start`);
  }
  return problems;
}

/**
 * A token sent in clear text over the network: refuse it (ERR_CONFIG_INSECURE in the loader's
 * security check). `isLoopback` is the loader's own test of a host name.
 */
export function uplinkSecurityProblem(u: UplinkConfig | undefined, isLoopback: (host: string) => boolean): string | undefined {
  if (!u || u.tokenFile === undefined || !u.url.startsWith('mqtt://')) return undefined;
  const host = new URL(u.url).hostname.replace(/^\[|\]$/g, '');
  return isLoopback(host) ? undefined : `uplink.tokenFile with ${u.url}: the token would cross the network in clear text; use mqtts://`;
}

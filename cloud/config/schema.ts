// The cloud tier's config schema: one place that says which keys exist, their units and defaults.
// Validated once at start-up (load.ts). Sections: who the gateways are, how they reach us (MQTT),
// where data lives (store), the HTTP API and who may use it, and the cloud-side alert rules.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PushConfigSchema } from '../push/config-keys.js';
import { CloudStoreConfigSchema } from '../store/config.js';

const Ms = (description: string, def: number, minimum = 0) => Type.Integer({ minimum, default: def, description: `${description} (milliseconds, default ${def})` });
const Strict = <T extends Record<string, TSchema>>(props: T, description: string) => Type.Object(props, { additionalProperties: false, default: {}, description });
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

const TlsFiles = Type.Object(
  {
    certFile: Type.String({ minLength: 1, description: 'PEM certificate chain file' }),
    keyFile: Type.String({ minLength: 1, description: 'PEM private key file' }),
    caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle; when set, clients must present a certificate it signed' })),
  },
  { additionalProperties: false },
);

export const CloudConfigSchema = Type.Object(
  {
    cloud: Type.Object(
      {
        id: { ...Id, description: "this worker's name in logs, metrics and MQTT client ids: one per worker" },
        shutdownTimeoutMs: Ms('on SIGTERM, how long the worker may take to finish the messages it holds and close before it exits anyway', 15_000, 100),
      },
      { additionalProperties: false, description: 'this cloud worker: its id names it in logs, metrics and MQTT client ids (give each worker its own)' },
    ),
    dataDir: Type.String({ minLength: 1, default: './data/cloud', description: "the worker's folder (default ./data/cloud); the embedded LevelDB store is <dataDir>/store" }),
    db: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        description: 'postgres://user@host:port/db to store in PostgreSQL instead of LevelDB in dataDir (several workers share one database); the password comes from PGPASSWORD or ~/.pgpass, never this file',
      }),
    ),
    store: { ...CloudStoreConfigSchema, default: {}, description: 'the cloud store: roll-ups, retention and the bucket cache' },
    gateways: Type.Record(
      Id,
      Type.Object(
        {
          tokenHash: Type.Optional(
            Type.String({
              pattern: '^scrypt\\$',
              description: "scrypt hash of the gateway's token (`tributary edge hash-password`); the gateway connects to the embedded broker with username = its id and password = the token (required when mqtt.broker is enabled)",
            }),
          ),
          site: Type.Optional({ ...Id, description: "the site the gateway's devices are at (default: the gateway id)" }),
          line: Type.Optional({ ...Id, description: 'the line within the site (default: default)' }),
        },
        { additionalProperties: false },
      ),
      {
        // A Record's key pattern only describes matching keys; this refuses the others (ids go into topics).
        additionalProperties: false,
        default: {},
        description:
          'gateway id → its token hash and where its devices are (site, line; default site = the gateway id, line = default). Only gateways listed here are accepted, over either ingest',
      },
    ),
    mqtt: Strict(
      {
        broker: Strict(
          {
            enabled: Type.Boolean({ default: true, description: 'run the embedded aedes broker gateways connect to (default true); set false to use mqtt.client' }),
            host: Type.String({ default: '127.0.0.1', description: 'address to listen on (default 127.0.0.1; 0.0.0.0 for gateways on other machines)' }),
            port: Type.Integer({ minimum: 0, maximum: 65535, default: 1884, description: 'TCP port; 0 picks a free one (default 1884)' }),
            tls: Type.Optional(
              // Composite, not Intersect: each side's additionalProperties: false would refuse the other's keys.
              Type.Composite([TlsFiles, Type.Object({ port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TLS port (8883 is usual; 0 picks a free one)' }) })], {
                additionalProperties: false,
                description: 'a second listener, with TLS (mqtts://); gateways still authenticate with their token',
              }),
            ),
            noDelay: Type.Boolean({ default: true, description: 'TCP_NODELAY on gateway sockets, so acks leave at once (default true)' }),
            maxConnections: Type.Integer({ minimum: 1, default: 10_000, description: 'connections beyond this many are refused (default 10000)' }),
          },
          'the embedded broker (one machine): MQTT 3.1.1, a token per gateway, an ACL per gateway topic',
        ),
        client: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^mqtts?://', description: 'an existing MQTT 5 broker (cluster) the gateways publish to, mqtts://host:8883' }),
              username: Type.Optional(Type.String({ minLength: 1, description: 'user name at the broker' })),
              passwordFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the password (kept out of the config and the logs)' })),
              caFile: Type.Optional(Type.String({ minLength: 1, description: "PEM CA bundle the broker's certificate must chain to (default: the system's CAs)" })),
              certFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (with keyFile)' })),
              keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of certFile' })),
              shareGroup: Type.String({
                pattern: '^[A-Za-z0-9_-]+$',
                default: 'tributary',
                description: "workers subscribe with $share/<shareGroup>/tributary/+/+/up/+ so the broker splits the gateways' messages among them (default tributary)",
              }),
              clientId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$', description: 'client id prefix; connection i is <clientId>-<i> (default: cloud.id)' })),
              connections: Type.Integer({
                minimum: 1,
                maximum: 64,
                default: 4,
                description: 'connections this worker opens in the share group (default 4): each holds one message until it is stored, so they are how many messages one worker stores at once',
              }),
              sessionExpirySeconds: Type.Integer({
                minimum: 0,
                default: 3600,
                description: 'the broker keeps a connection\'s unacknowledged messages this long after it drops, for the same client id to resume (seconds, default 3600)',
              }),
              keepaliveSeconds: Type.Integer({ minimum: 0, default: 30, description: 'MQTT keepalive (seconds, default 30)' }),
              reconnectInitialMs: Ms('first retry delay after the connection drops; doubles up to reconnectMaxMs', 500, 1),
              reconnectMaxMs: Ms('longest retry delay', 30_000, 1),
            },
            { additionalProperties: false, description: 'consume from an existing MQTT 5 broker instead (set mqtt.broker.enabled: false); several workers share the load' },
          ),
        ),
      },
      'how gateways reach the cloud',
    ),
    ingest: Strict(
      {
        maxMessageBytes: Type.Integer({ minimum: 1024, default: 1 << 20, description: 'larger messages are dead-lettered as too_large (bytes, default 1048576)' }),
        maxDecompressedBytes: Type.Integer({ minimum: 1024, default: 16 << 20, description: 'a gzip message larger than this once decompressed is dead-lettered as too_large (bytes, default 16777216)' }),
        maxInFlightMessages: Type.Integer({
          minimum: 1,
          default: 1000,
          description: 'messages being stored at once; beyond it the embedded broker stops reading gateway sockets until half of them are done (default 1000)',
        }),
        registryFlushMs: Ms('last seen of gateways and devices is written at most this often (new devices and moves at once)', 1000, 1),
        gzipAcks: Type.Boolean({ default: true, description: 'gzip acknowledgements of 256 bytes or more, as the protocol allows (default true)' }),
      },
      'what every message goes through: decode, validate, de-duplicate, store, acknowledge',
    ),
    http: Strict(
      {
        host: Type.String({ default: '127.0.0.1', description: 'default 127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'default 8080; 0 picks a free one' }),
        tls: Type.Optional({ ...TlsFiles, description: 'serve the API over HTTPS; with caFile, clients must present a certificate' }),
        sessionTtlMs: Ms('a login session lasts this long', 12 * 3_600_000, 60_000),
      },
      'the API and dashboard',
    ),
    users: Type.Record(
      Id,
      Type.Object(
        {
          passwordHash: Type.String({ pattern: '^scrypt\\$', description: 'scrypt hash (`tributary edge hash-password`)' }),
          role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')], { description: 'viewer: read; operator: also acknowledge and resolve alerts; admin: also push config and models' }),
        },
        { additionalProperties: false },
      ),
      { additionalProperties: false, default: {}, description: 'people who may log in, with their role' },
    ),
    alerts: Strict(
      {
        gatewayOfflineMs: Ms('no message (status or data) from a gateway for this long raises gateway-offline; also what `online` means in the API', 120_000, 1000),
        deviceSilentMs: Ms('no summary from a device for this long raises device-silent (0: off)', 600_000),
        dataLossItems: Type.Integer({ minimum: 0, default: 1, description: 'a gateway reporting at least this many items lost (its loss ledger grew) raises data-loss (default 1; 0: off)' }),
        dataLossQuietMs: Ms("a data-loss alert clears once the gateway's loss ledger has not grown for this long", 900_000, 1000),
        checkIntervalMs: Ms('how often the cloud-side rules are checked', 5000, 100),
        webhook: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://', description: 'POSTed a JSON body for every alert change' }),
              secretFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the HMAC key for X-Tributary-Signature' })),
              maxAttempts: Type.Integer({ minimum: 1, default: 8, description: 'attempts per notification before it is given up (default 8)' }),
            },
            { additionalProperties: false, description: 'POST every alert change to a URL, in order, retried with backoff (Alert notifications)' },
          ),
        ),
      },
      'cloud-side alert rules and notifications',
    ),
    push: PushConfigSchema,
    log: Strict({ level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level (default info)' }) }, 'JSON lines on stdout'),
  },
  { additionalProperties: false },
);

export type CloudConfig = Static<typeof CloudConfigSchema>;

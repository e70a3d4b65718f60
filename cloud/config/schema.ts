// The cloud tier's config schema: one place that says which keys exist, their units and defaults.
// Validated once at start-up (load.ts). Sections: who the gateways are, how they reach us (MQTT),
// where data lives (store), the HTTP API and who may use it, and the cloud-side alert rules.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
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
    cloud: Type.Object({ id: Id }, { additionalProperties: false, description: 'this cloud worker: its id names it in logs, metrics and MQTT client ids (give each worker its own)' }),
    dataDir: Type.String({ minLength: 1, default: './data/cloud', description: 'folder for the embedded LevelDB store (default ./data/cloud)' }),
    db: Type.Optional(Type.String({ minLength: 1, description: 'postgres://user@host/db to store in PostgreSQL instead of LevelDB in dataDir; the password comes from PGPASSWORD or ~/.pgpass, not this file' })),
    store: { ...CloudStoreConfigSchema, default: {} },
    gateways: Type.Record(
      Id,
      Type.Object(
        {
          tokenHash: Type.String({ pattern: '^scrypt\\$', description: 'scrypt hash of the gateway\'s token (`tributary edge hash-password`); the gateway connects with username = its id and password = the token' }),
          site: Type.Optional(Id),
          line: Type.Optional(Id),
        },
        { additionalProperties: false },
      ),
      { default: {}, description: 'gateway id → its token hash and where its devices are (site, line; default site = the gateway id, line = default)' },
    ),
    mqtt: Strict(
      {
        broker: Strict(
          {
            enabled: Type.Boolean({ default: true, description: 'run the embedded aedes broker gateways connect to (default true)' }),
            host: Type.String({ default: '0.0.0.0', description: 'default 0.0.0.0' }),
            port: Type.Integer({ minimum: 0, maximum: 65535, default: 1884, description: 'TCP port; 0 picks a free one (default 1884)' }),
            tls: Type.Optional(Type.Intersect([TlsFiles, Type.Object({ port: Type.Integer({ minimum: 0, maximum: 65535 }) })], { description: 'a second, TLS listener' })),
          },
          'the embedded broker (one machine)',
        ),
        client: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^mqtts?://', description: 'an existing MQTT 5 broker (cluster) the gateways publish to' }),
              username: Type.Optional(Type.String()),
              passwordFile: Type.Optional(Type.String({ minLength: 1 })),
              caFile: Type.Optional(Type.String({ minLength: 1 })),
              certFile: Type.Optional(Type.String({ minLength: 1 })),
              keyFile: Type.Optional(Type.String({ minLength: 1 })),
              shareGroup: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'tributary', description: 'workers subscribe with $share/<shareGroup>/... so the broker splits gateways\' messages among them (default tributary)' }),
            },
            { additionalProperties: false, description: 'consume from an existing broker instead (several workers share the load)' },
          ),
        ),
      },
      'how gateways reach the cloud',
    ),
    http: Strict(
      {
        host: Type.String({ default: '127.0.0.1', description: 'default 127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'default 8080; 0 picks a free one' }),
        tls: Type.Optional(TlsFiles),
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
      { default: {}, description: 'people who may log in, with their role' },
    ),
    alerts: Strict(
      {
        gatewayOfflineMs: Ms('no message (status or data) from a gateway for this long raises gateway-offline', 120_000, 1000),
        deviceSilentMs: Ms('no summary from a device for this long raises device-silent (0: off)', 600_000),
        dataLossItems: Type.Integer({ minimum: 0, default: 1, description: 'a gateway reporting at least this many items lost (its loss ledger grew) raises data-loss (default 1; 0: off)' }),
        checkIntervalMs: Ms('how often the cloud-side rules are checked', 5000, 100),
        webhook: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://', description: 'POSTed a JSON body for every alert change' }),
              secretFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the HMAC key for X-Tributary-Signature' })),
              maxAttempts: Type.Integer({ minimum: 1, default: 8, description: 'default 8' }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      'cloud-side alert rules and notifications',
    ),
    log: Strict({ level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }) }, 'JSON lines on stdout'),
  },
  { additionalProperties: false },
);

export type CloudConfig = Static<typeof CloudConfigSchema>;

// The edge gateway's config schema: the one place that says which keys exist, their units and
// their defaults. Validated once at start-up (see load.ts); the README's reference comes from here.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AlertsSchema, DetectorsSchema } from './analysis-schema.js';
import { DurabilitySchema } from './durability-schema.js';
import { FlightRecorderSchema, OutboxSchema, UplinkSchema } from './uplink-schema.js';
import { WindowSpecSchema } from './window-schema.js';

export { WindowSpecSchema };

const Ms = (description: string, def: number, minimum = 0) =>
  Type.Integer({ minimum, default: def, description: `${description} (milliseconds, default ${def})` });

const Strict = <T extends Record<string, TSchema>>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, default: {}, description });

const TlsFiles = Type.Object(
  {
    certFile: Type.String({ minLength: 1, description: 'PEM certificate chain file' }),
    keyFile: Type.String({ minLength: 1, description: 'PEM private key file' }),
    caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA bundle; when set, clients must present a certificate it signed' })),
  },
  { additionalProperties: false },
);


const User = Type.Object(
  {
    passwordHash: Type.String({ pattern: '^scrypt\\$', description: 'scrypt hash from `tributary edge hash-password`; never the password itself' }),
    devices: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'device ids this user may publish for (topic sensors/<device>); default: the username alone',
      }),
    ),
  },
  { additionalProperties: false },
);

const SerialLine = {
  path: Type.String({ minLength: 1, description: 'device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...' }),
  baudRate: Type.Integer({ minimum: 50, default: 9600, description: 'bits per second (default 9600)' }),
  dataBits: Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)], { default: 8, description: 'default 8' }),
  parity: Type.Union(['none', 'even', 'odd', 'mark', 'space'].map((p) => Type.Literal(p)), { default: 'none', description: 'default none' }),
  stopBits: Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)], { default: 1, description: 'default 1' }),
  reconnectInitialMs: Ms('first retry delay after the port fails or disappears; doubles up to reconnectMaxMs', 500, 1),
  reconnectMaxMs: Ms('longest retry delay', 30000, 1),
};

const DeviceId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

export const SerialPortSchema = Type.Object(
  {
    ...SerialLine,
    framing: Type.Union([Type.Literal('ndjson'), Type.Literal('csv'), Type.Literal('kv')], {
      description: 'ndjson: a JSON object per line; csv: delimited values named by `columns`; kv: key=value pairs',
    }),
    device: Type.Optional({ ...DeviceId, description: 'device id for every line on this port; otherwise each line names its device in deviceField' }),
    deviceField: Type.String({ minLength: 1, default: 'device', description: 'field, key or column holding the device id (default device)' }),
    columns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'csv: one name per column; `ts` and deviceField are special, `-` skips a column' })),
    delimiter: Type.String({ minLength: 1, maxLength: 1, default: ',', description: 'csv delimiter (default ,)' }),
    maxLineBytes: Type.Integer({ minimum: 16, default: 1024, description: 'a longer line is cut and dead-lettered (bytes, default 1024)' }),
  },
  { additionalProperties: false },
);

export const ModbusRegisterSchema = Type.Object(
  {
    metric: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$', description: "metric name the register's value arrives as" }),
    function: Type.Union([Type.Literal(3), Type.Literal(4)], { default: 3, description: '3: read holding registers, 4: read input registers (default 3)' }),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: 'first register, zero-based' }),
    type: Type.Union(['int16', 'uint16', 'int32', 'uint32', 'float32'].map((t) => Type.Literal(t)), { default: 'uint16', description: 'default uint16' }),
    wordOrder: Type.Union([Type.Literal('big'), Type.Literal('little')], { default: 'big', description: '32-bit types: which register holds the high word (default big: the first)' }),
    byteOrder: Type.Union([Type.Literal('big'), Type.Literal('little')], { default: 'big', description: 'byte order inside each register (default big, as Modbus specifies)' }),
    scale: Type.Number({ default: 1, description: 'value = raw * scale + offset (default 1)' }),
    offset: Type.Number({ default: 0, description: 'default 0' }),
  },
  { additionalProperties: false },
);

export const ModbusPortSchema = Type.Object(
  {
    ...SerialLine,
    pollIntervalMs: Ms('time between polls of every unit on this port', 1000, 10),
    timeoutMs: Ms('a unit that has not answered after this long has timed out', 500, 10),
    retries: Type.Integer({ minimum: 0, default: 1, description: 'extra attempts after a timeout or CRC error, per poll (default 1)' }),
    units: Type.Array(
      Type.Object(
        {
          device: { ...DeviceId, description: "device id the unit's readings arrive as" },
          unitId: Type.Integer({ minimum: 1, maximum: 247, description: 'Modbus slave address' }),
          registers: Type.Array(ModbusRegisterSchema, { minItems: 1, description: 'registers read at each poll, one metric each' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'the Modbus units (slaves) polled on this port' },
    ),
  },
  { additionalProperties: false },
);

export const EdgeConfigSchema = Type.Object(
  {
    gateway: Type.Object(
      {
        id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'this gateway\'s id; part of every summary and alert id, so keep it stable' }),
        shutdownTimeoutMs: Ms('on SIGTERM, how long the gateway may take to stop its sources, checkpoint, flush the log and close the uplink before it exits anyway (systemd\'s TimeoutStopSec is 30 s)', 20_000, 100),
      },
      { additionalProperties: false, description: 'who this gateway is' },
    ),
    dataDir: Type.String({ minLength: 1, default: './data/edge', description: 'folder for LevelDB: the stores, the ingest log and checkpoints (default ./data/edge)' }),
    mqtt: Strict(
      {
        topicPrefix: Type.String({ pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'sensors', description: 'readings arrive on <topicPrefix>/<device> (default sensors)' }),
        broker: Strict(
          {
            enabled: Type.Boolean({ default: true, description: 'run the embedded aedes broker (default true)' }),
            host: Type.String({ default: '0.0.0.0', description: 'address the broker listens on (default 0.0.0.0)' }),
            port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883, description: 'TCP port; 0 picks a free one (default 1883)' }),
            noDelay: Type.Boolean({ default: true, description: 'TCP_NODELAY on device sockets: cuts p99 latency at high rates (default true)' }),
            tls: Type.Optional(
              // Composite, not Intersect: each side's additionalProperties: false would refuse the other's keys.
              Type.Composite([TlsFiles, Type.Object({ port: Type.Integer({ minimum: 0, maximum: 65535, description: 'TLS port (8883 is usual)' }) })], {
                additionalProperties: false,
                description: 'a second, TLS listener',
              }),
            ),
            maxConnections: Type.Integer({ minimum: 1, default: 10000, description: 'refuse connections beyond this many (default 10000)' }),
            ackAfterDurable: Type.Boolean({ default: true, description: 'send a QoS 1 PUBACK only once the reading is in the ingest log on disk, so an acknowledged reading survives a crash (default true); false acknowledges on receipt' }),
          },
          'the embedded MQTT broker devices connect to',
        ),
        client: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^mqtts?://', description: 'existing broker to subscribe to, mqtt:// or mqtts://' }),
              username: Type.Optional(Type.String({ description: 'user name at the broker' })),
              passwordFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the password (kept out of the config and the logs)' })),
              caFile: Type.Optional(Type.String({ minLength: 1, description: "PEM CA bundle the broker's certificate must chain to (default: the system's CAs)" })),
              certFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate (with keyFile)' })),
              keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of certFile' })),
              clientId: Type.Optional(Type.String({ minLength: 1, description: 'MQTT client id; keep it stable for the persistent session (default tributary<hostname>)' })),
              qos: Type.Union([Type.Literal(0), Type.Literal(1)], { default: 1, description: 'subscription QoS (default 1)' }),
            },
            { additionalProperties: false, description: 'subscribe to <topicPrefix>/+ on an existing broker' },
          ),
        ),
      },
      'MQTT ingest',
    ),
    devices: Strict(
      {
        kinds: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), {
          // A Record's key pattern only describes matching keys; this refuses the others.
          additionalProperties: false,
          default: {},
          description: 'device kind → device id patterns (`*` matches any run of characters), e.g. motor: ["motor-*"]; models and rules can name a kind; the first kind with a matching pattern wins',
        }),
      },
      'what kind of machine each device is',
    ),
    models: Type.Array(
      Type.Object(
        { path: Type.String({ minLength: 1, description: 'the .onnx file; its manifest <base>.manifest.json sits beside it' }) },
        { additionalProperties: false },
      ),
      { default: [], description: 'anomaly models scored on the gateway when windows close; a device is scored by the first model naming it, else the first naming its kind (default none)' },
    ),
    detectors: DetectorsSchema,
    alerts: AlertsSchema,
    serial: Type.Array(SerialPortSchema, { default: [], description: 'serial ports carrying line-framed readings' }),
    modbus: Type.Array(ModbusPortSchema, { default: [], description: 'serial ports polled as a Modbus RTU master' }),
    auth: Strict(
      {
        allowAnonymous: Type.Boolean({ default: false, description: 'accept clients without credentials; only on a loopback-only broker (default false)' }),
        users: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), User, {
          additionalProperties: false,
          default: {},
          description: 'username → hashed password and the devices it may publish for',
        }),
      },
      'who may connect to the embedded broker',
    ),
    decode: Strict(
      {
        maxPayloadBytes: Type.Integer({ minimum: 16, default: 4096, description: 'larger payloads are dead-lettered (bytes, default 4096)' }),
        maxClockSkewMs: Ms('readings stamped further than this ahead of the gateway clock are dead-lettered', 60000),
        maxMetricsPerReading: Type.Integer({ minimum: 1, default: 64, description: 'default 64' }),
        knownDevices: Type.Optional(
          Type.Array(Type.String({ minLength: 1 }), { description: 'when set, readings from any other device id are dead-lettered' }),
        ),
      },
      'decoding and validation of readings',
    ),
    windows: Strict(
      {
        definitions: Type.Array(WindowSpecSchema, {
          minItems: 1,
          default: [
            { kind: 'tumbling', sizeMs: 10000 },
            { kind: 'hopping', sizeMs: 60000, slideMs: 10000 },
          ],
          description: 'the windows every (device, metric) is aggregated over (default tumbling 10 s and hopping 60 s / 10 s)',
        }),
        maxOutOfOrdernessMs: Ms('watermark lag behind the newest reading of a device', 2000),
        staggerMs: Ms(
          "spread a fleet's window closings over this long: each device's watermark lags a further fixed share of it (0 up to this, from a hash of the device id), so the windows stay aligned but do not all close in the same instant; summaries and windowed alerts come up to this much later; 0 closes them all at once",
          5000,
        ),
        allowedLatenessMs: Ms('a closed window still takes late readings for this long, re-emitting its summary', 30000),
        idleTimeoutMs: Ms('after this much silence a device\'s watermark follows the clock', 30000, 1),
        maxKeys: Type.Integer({ minimum: 1, default: 200000, description: 'bound on (device, metric) keys held (default 200000)' }),
      },
      'event-time windows',
    ),
    durability: DurabilitySchema,
    stores: Strict(
      {
        deadLetterMaxEntries: Type.Integer({ minimum: 1, default: 100000, description: 'oldest dead letters are evicted beyond this, counted in tributary_store_evicted_total (default 100000)' }),
        lateDataMaxEntries: Type.Integer({ minimum: 1, default: 100000, description: 'oldest late readings are evicted beyond this, counted in tributary_store_evicted_total (default 100000)' }),
        flushIntervalMs: Ms('writes are batched for at most this long before LevelDB', 20, 1),
      },
      'LevelDB stores',
    ),
    outbox: OutboxSchema,
    uplink: Type.Optional(UplinkSchema),
    flightRecorder: FlightRecorderSchema,
    http: Strict(
      {
        enabled: Type.Boolean({ default: true, description: 'serve /metrics, /healthz and /inspect (default true)' }),
        host: Type.String({ default: '127.0.0.1', description: 'default 127.0.0.1 (loopback only)' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'default 9464; 0 picks a free one' }),
        tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding a bearer token; required when host is not loopback' })),
        tls: Type.Optional({ ...TlsFiles, description: 'serve over HTTPS' }),
      },
      'the observability endpoint',
    ),
    log: Strict(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info', description: 'pino log level (default info)' },
        ),
      },
      'structured JSON logs on stdout',
    ),
  },
  { additionalProperties: false },
);

export type EdgeConfig = Static<typeof EdgeConfigSchema>;
export type WindowSpecConfig = Static<typeof WindowSpecSchema>;
export type SerialPortConfig = Static<typeof SerialPortSchema>;
export type ModbusPortConfig = Static<typeof ModbusPortSchema>;
export type ModbusRegisterConfig = Static<typeof ModbusRegisterSchema>;

// The one catalogue of coded errors: every failure Tributary reports has a stable code here.
//
// Codes never change once published; messages may. `retryable` is a property of the code, so
// callers (the outbox, source reconnect loops) decide by type, never by matching message text.
// Programmer mistakes are plain TypeErrors thrown at once and are not listed here.

export interface ErrorSpec {
  /** What went wrong and what to do about it. `%s` placeholders take the `format` arguments. */
  readonly message: string;
  /** Whether trying the same operation again later may succeed. */
  readonly retryable: boolean;
}

export const catalogue = {
  // Configuration (start-up; the process exits non-zero).
  ERR_CONFIG_READ: { message: 'cannot read config file %s: check the path and permissions', retryable: false },
  ERR_CONFIG_PARSE: { message: 'config file %s is not valid YAML: %s', retryable: false },
  ERR_CONFIG_INVALID: { message: 'config is invalid (%s problem(s)):\n%s', retryable: false },
  ERR_CONFIG_INSECURE: { message: 'config is insecure: %s', retryable: false },
  ERR_FILE_READ: { message: 'cannot read the %s file %s (%s): check the path and permissions', retryable: false },

  // Decoding readings (each is a dead-letter reason; the reading is kept, counted and skipped).
  ERR_DECODE_PAYLOAD_TOO_LARGE: { message: 'payload of %s bytes exceeds decode.maxPayloadBytes (%s)', retryable: false },
  ERR_DECODE_NOT_JSON: { message: 'payload starts like JSON but does not parse: %s', retryable: false },
  ERR_DECODE_BAD_TEXT: { message: 'text reading is malformed: %s (expected "<ts>,metric=value,...")', retryable: false },
  ERR_DECODE_NOT_UTF8: { message: 'payload is not valid UTF-8', retryable: false },
  ERR_DECODE_NON_FINITE: { message: 'metric %s is not a finite number (NaN or Infinity)', retryable: false },
  ERR_DECODE_WRONG_TYPE: { message: 'field %s has the wrong type: %s', retryable: false },
  ERR_DECODE_BAD_TIMESTAMP: { message: 'timestamp %s is neither milliseconds since the epoch nor ISO 8601', retryable: false },
  ERR_DECODE_FUTURE_TIMESTAMP: { message: 'timestamp is %s ms ahead of the gateway clock (decode.maxClockSkewMs is %s): fix the device clock', retryable: false },
  ERR_DECODE_BAD_DEVICE_ID: { message: 'device id %s is malformed: use 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit', retryable: false },
  ERR_DECODE_UNKNOWN_DEVICE: { message: 'device %s is not in decode.knownDevices', retryable: false },
  ERR_DECODE_NO_METRICS: { message: 'reading has no metrics', retryable: false },
  ERR_DECODE_TOO_MANY_METRICS: { message: 'reading has %s metrics; decode.maxMetricsPerReading is %s', retryable: false },
  ERR_DECODE_BAD_METRIC_NAME: { message: 'metric name %s is malformed: use 1-64 of A-Z a-z 0-9 _ . - :', retryable: false },

  // Windows.
  ERR_WINDOW_KEY_LIMIT: { message: 'windows.maxKeys (%s) device/metric keys are already open; raise it or reduce cardinality', retryable: false },

  // Alerts: the analysis stage (detectors and alert rules).
  ERR_ALERT_RESTORE: { message: 'the alert engine checkpoint cannot be used: %s; start without it (detectors warm up again, open alerts are raised anew)', retryable: false },

  // Authentication and authorisation on the embedded broker.
  ERR_AUTH_BAD_CREDENTIALS: { message: 'bad username or password for %s', retryable: false },
  ERR_AUTH_TOPIC_DENIED: { message: 'client %s may not publish to %s', retryable: false },
  ERR_AUTH_SUBSCRIBE_DENIED: { message: 'client %s may not subscribe to %s', retryable: false },
  ERR_AUTH_BAD_HASH: { message: 'password hash for %s is not a valid scrypt hash (make one with `tributary edge hash-password`)', retryable: false },

  // I/O: transports and storage (LevelDB). ERR_NOT_OPEN: a resource used before it is open (the cloud API answers 503).
  ERR_MQTT_LISTEN: { message: 'cannot listen on %s: %s', retryable: true },
  ERR_MQTT_CONNECT: { message: 'cannot connect to broker %s: %s', retryable: true },
  ERR_MQTT_SUBSCRIBE: { message: 'broker %s refused the subscription to %s: %s; check the ACL it gives this user', retryable: true },
  ERR_HTTP_LISTEN: { message: 'cannot listen for HTTP on %s: %s', retryable: true },
  ERR_STORE_OPEN: { message: 'cannot open LevelDB at %s: %s', retryable: true },
  ERR_STORE_WRITE: { message: 'LevelDB write failed: %s', retryable: true },
  ERR_NOT_OPEN: { message: '%s is %s; open it first', retryable: false },

  // Serial lines and Modbus RTU (ERR_DECODE_BAD_CSV is a dead-letter reason of the csv framing).
  ERR_SERIAL_LINE_TOO_LONG: { message: 'line exceeded %s bytes without a newline; the bytes so far are kept and the rest of the line skipped', retryable: false },
  ERR_SERIAL_PARTIAL_LINE: { message: 'port %s closed in the middle of a line', retryable: false },
  ERR_SERIAL_OPEN: { message: 'cannot open serial port %s: %s (retrying with backoff)', retryable: true },
  ERR_DECODE_BAD_CSV: { message: 'CSV line has %s fields; serial framing expects %s columns', retryable: false },
  ERR_MODBUS_TIMEOUT: { message: 'Modbus unit %s did not answer within %s ms', retryable: true },
  ERR_MODBUS_CRC: { message: 'Modbus frame from unit %s failed its CRC check', retryable: true },
  ERR_MODBUS_EXCEPTION: { message: 'Modbus unit %s answered exception %s (%s) to function %s at address %s', retryable: false },
  ERR_MODBUS_IO: { message: 'Modbus port %s: %s', retryable: true },

  // The service manager (systemd): readiness and watchdog notifications. Retryable: the next ping tries again.
  ERR_SYSTEMD_NOTIFY: { message: 'cannot send %s to systemd: %s; is systemd-notify installed (Debian package systemd) and NotifyAccess=all set in the unit?', retryable: true },
  // Store-and-forward (issue #5): the ingest log, checkpoints and the uplink wire protocol.
  // ERR_PROTOCOL_* describe a message the receiver refuses; each maps to a dead-letter reason.
  ERR_STORE_CORRUPT: { message: 'stored %s record %s cannot be decoded (%s): the database may be damaged; see ClassicLevel.repair', retryable: false },
  ERR_STORE_LOG_FULL: { message: 'the ingest log has %s readings waiting for disk (hard limit %s): pause the sources until it drains', retryable: true },
  ERR_CHECKPOINT_INCOMPATIBLE: { message: 'the checkpoint was taken with %s but the config now has %s: start without it and replay the log', retryable: false },
  ERR_PROTOCOL_TOO_LARGE: { message: 'uplink message of %s bytes exceeds the limit of %s bytes', retryable: false },
  ERR_PROTOCOL_BAD_COMPRESSION: { message: 'uplink message is gzip-framed but does not decompress: %s', retryable: false },
  ERR_PROTOCOL_NOT_JSON: { message: 'uplink message is not a JSON document: %s', retryable: false },
  ERR_PROTOCOL_VERSION: { message: 'uplink message has protocol version %s; this side speaks version %s: upgrade the receiver', retryable: false },
  ERR_PROTOCOL_INVALID: { message: 'uplink %s does not match its schema: %s', retryable: false },
  ERR_PROTOCOL_TOPIC: { message: 'topic %s does not fit the message: %s', retryable: false },
  // The outbox and the uplink (issue #5): an item no message may carry is dropped, not retried
  // forever; it is counted in the loss ledger as too_large.
  ERR_UPLINK_ITEM_TOO_LARGE: { message: 'a %s item (%s) encodes to %s bytes, over uplink.maxMessageBytes (%s): it is dropped and counted in the loss ledger as too_large; raise maxMessageBytes or lower flightRecorder.maxPartBytes', retryable: false },

  // The device simulator (`tributary devices`).
  ERR_SCENARIO_READ: { message: 'cannot read scenario file %s: check the path and permissions', retryable: false },
  ERR_SCENARIO_PARSE: { message: 'scenario file %s is not valid YAML: %s', retryable: false },
  ERR_SCENARIO_INVALID: { message: 'scenario is invalid (%s problem(s)):\n%s', retryable: false },
  ERR_SCENARIO_BAD_RECORDING: { message: 'recording %s cannot be replayed: %s', retryable: false },
  ERR_SCENARIO_WRITE: { message: 'cannot write the %s file %s (%s): check the path and permissions', retryable: false },

  // The cloud tier: alert notifications to a webhook (cloud/notify/webhook.ts).
  ERR_WEBHOOK_DELIVERY: { message: 'webhook notification failed on attempt %s: %s; check the receiver and webhook.url', retryable: true },

  // Evaluation (`tributary eval`): labels, results and recordings that cannot be scored together.
  ERR_EVAL_LABELS: { message: 'labels file %s cannot be used: %s', retryable: false },
  ERR_EVAL_RESULTS: { message: 'results file %s cannot be read: %s (expected the header timestamp,anomaly_score,alert)', retryable: false },
  ERR_EVAL_MISMATCH: { message: '%s cannot be scored against its labels: %s', retryable: false },
  // Anomaly models (`<base>.onnx` + `<base>.manifest.json`): loading refuses anything that would
  // score wrongly, before it can replace a running model. A model failing at run time (ERR_MODEL_RUN) leaves
  // its windows unscored; aggregation goes on.
  ERR_MODEL_READ: { message: 'cannot read the model\'s %s file %s (%s): check the path and permissions', retryable: false },
  ERR_MODEL_MANIFEST: { message: 'model manifest %s is invalid (%s problem(s)):\n%s', retryable: false },
  ERR_MODEL_MISMATCH: { message: 'model %s does not match its manifest (%s problem(s)):\n%s\nrebuild the model or fix the manifest', retryable: false },
  ERR_MODEL_RUN: { message: 'model %s failed to score a batch of %s row(s): %s', retryable: false },
  ERR_MODEL_WINDOW: { message: 'model %s is made for the window %s, which the gateway does not keep (windows.definitions: %s): add that window or use another model', retryable: false },
  ERR_MODEL_WRITE: { message: 'cannot write the model\'s %s file %s (%s): check the path and permissions', retryable: false },
  ERR_TRAIN_DATA: { message: 'cannot train on %s: %s', retryable: false },

  // Config and model push (issue #7): why a gateway refused a push. It keeps running what it ran,
  // and reports the code and message to the cloud in its status items.
  ERR_PUSH_PARSE: { message: 'pushed config %s is not valid %s: %s', retryable: false },
  ERR_PUSH_NEEDS_RESTART: { message: 'the pushed config changes %s, which take effect only on a restart (a push may change %s): change those in the gateway\'s config file and restart it', retryable: false },
  ERR_PUSH_INVALID: { message: 'push %s cannot be used: %s', retryable: false },
  ERR_PUSH_TARGET: { message: 'push target %s is not fleet, site:<site> or gateway:<id> of a configured gateway', retryable: false },
  ERR_PUSH_TOO_LARGE: { message: 'the %s is %s bytes, over the limit of %s bytes for a push', retryable: false },

  // CLI.
  // The command line: a gateway that did not stop in time (it exits 1), a command line that does not parse, a command not built yet.
  ERR_SHUTDOWN_TIMEOUT: { message: 'the gateway did not stop within %s ms (gateway.shutdownTimeoutMs); exiting anyway: the next start restores the last checkpoint and replays the log after it', retryable: false },
  ERR_CLI_USAGE: { message: '%s (see `tributary %s --help`)', retryable: false },
  ERR_CLI_NOT_YET: { message: '`tributary %s` arrives with issue #%s (%s); it is not built yet', retryable: false },

  // The cloud store (issue #6): summaries, roll-ups, alerts and registry in LevelDB or PostgreSQL.
  ERR_STORE_READ: { message: 'LevelDB read failed: %s', retryable: true },
  ERR_CLOUD_DB_URL: { message: 'database %s is not understood: give a LevelDB folder path or a postgres:// URL', retryable: false },
  ERR_CLOUD_DB_CONNECT: { message: 'cannot connect to PostgreSQL at %s: %s', retryable: true },
  ERR_CLOUD_DB_QUERY: { message: 'PostgreSQL %s failed: %s', retryable: true },
  ERR_CLOUD_DB_MIGRATE: { message: 'schema migration %s failed on %s: %s; the database stays at the previous version', retryable: false },
  ERR_CLOUD_DB_TOO_NEW: { message: 'database %s has schema version %s but this build knows versions up to %s: upgrade tributary', retryable: false },
  ERR_CLOUD_BAD_SCOPE_NAME: { message: '%s %s is not usable: use 1-128 characters without control characters', retryable: false },
  ERR_CLOUD_ALERT_NOT_FOUND: { message: 'no alert has id %s', retryable: false },
  ERR_CLOUD_ALERT_TRANSITION: { message: 'alert %s is %s, so it cannot be %s', retryable: false },

  // The cloud worker (issue #6): its service lifecycle.
  ERR_CLOUD_SHUTDOWN: { message: 'the cloud worker did not close within %s ms (cloud.shutdownTimeoutMs); it exits anyway: gateways send again what was not acknowledged', retryable: false },
  // The cloud API (issue #6): what people and gateways are told over HTTP. The HTTP status each
  // maps to is in cloud/api/errors.ts; 401/403 say who is refused, never why a secret was wrong.
  ERR_API_UNAUTHENTICATED: { message: '%s: log in (POST /api/login) and send the session as Authorization: Bearer <token> or its cookie, or send Basic credentials', retryable: false },
  ERR_API_LOGIN_FAILED: { message: 'bad username or password', retryable: false },
  ERR_API_FORBIDDEN: { message: '%s may not %s %s: it needs %s', retryable: false },
  ERR_API_BAD_REQUEST: { message: 'the request is invalid (%s problem(s)): %s', retryable: false },
  ERR_API_NOT_FOUND: { message: 'there is no %s %s here', retryable: false },
  ERR_API_TOO_MANY_ATTEMPTS: { message: 'too many failed logins from %s; try again in %s s', retryable: true },
  ERR_API_CROSS_ORIGIN: { message: 'a %s with the session cookie from origin %s is refused: send it from the dashboard, or use an Authorization header', retryable: false },
  ERR_API_STREAM_LIMIT: { message: '%s live streams are open already (the limit); close one or try again later', retryable: true },
  ERR_API_INTERNAL: { message: 'the server could not answer (%s); its log has the details', retryable: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(format(catalogue[code].message, args), options);
    this.name = 'TributaryError';
    this.code = code;
    this.retryable = catalogue[code].retryable;
  }
}

/** Make a coded error: `codedError('ERR_STORE_WRITE', [detail], { cause })`. */
export function codedError(code: ErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }): TributaryError {
  return new TributaryError(code, args, options);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof TributaryError && err.retryable;
}

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

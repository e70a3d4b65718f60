// Pins the error catalogue: codes are a public contract and never change or disappear.

import { describe, expect, it } from 'vitest';
import { catalogue, codedError, isRetryable, TributaryError } from '../../edge/errors/catalogue.js';

// Append new codes here when the catalogue grows; never edit or remove a line.
const PINNED = [
  'ERR_CONFIG_READ', 'ERR_CONFIG_PARSE', 'ERR_CONFIG_INVALID', 'ERR_CONFIG_INSECURE',
  'ERR_DECODE_PAYLOAD_TOO_LARGE', 'ERR_DECODE_NOT_JSON', 'ERR_DECODE_BAD_TEXT', 'ERR_DECODE_NOT_UTF8',
  'ERR_DECODE_NON_FINITE', 'ERR_DECODE_WRONG_TYPE', 'ERR_DECODE_BAD_TIMESTAMP', 'ERR_DECODE_FUTURE_TIMESTAMP',
  'ERR_DECODE_BAD_DEVICE_ID', 'ERR_DECODE_UNKNOWN_DEVICE', 'ERR_DECODE_NO_METRICS', 'ERR_DECODE_TOO_MANY_METRICS',
  'ERR_DECODE_BAD_METRIC_NAME', 'ERR_WINDOW_KEY_LIMIT',
  'ERR_AUTH_BAD_CREDENTIALS', 'ERR_AUTH_TOPIC_DENIED', 'ERR_AUTH_SUBSCRIBE_DENIED', 'ERR_AUTH_BAD_HASH',
  'ERR_MQTT_LISTEN', 'ERR_MQTT_CONNECT', 'ERR_HTTP_LISTEN', 'ERR_STORE_OPEN', 'ERR_STORE_WRITE', 'ERR_NOT_OPEN',
  'ERR_CLI_USAGE', 'ERR_CLI_NOT_YET', 'ERR_FILE_READ', 'ERR_MQTT_SUBSCRIBE',
  'ERR_SERIAL_LINE_TOO_LONG', 'ERR_SERIAL_PARTIAL_LINE', 'ERR_SERIAL_OPEN', 'ERR_DECODE_BAD_CSV',
  'ERR_MODBUS_TIMEOUT', 'ERR_MODBUS_CRC', 'ERR_MODBUS_EXCEPTION', 'ERR_MODBUS_IO',
  'ERR_SCENARIO_READ', 'ERR_SCENARIO_PARSE', 'ERR_SCENARIO_INVALID', 'ERR_SCENARIO_BAD_RECORDING',
  'ERR_SCENARIO_WRITE',
  'ERR_WEBHOOK_DELIVERY',
  'ERR_EVAL_LABELS', 'ERR_EVAL_RESULTS', 'ERR_EVAL_MISMATCH',
  'ERR_ALERT_RESTORE',
  'ERR_MODEL_READ', 'ERR_MODEL_MANIFEST', 'ERR_MODEL_MISMATCH', 'ERR_MODEL_RUN', 'ERR_MODEL_WRITE', 'ERR_TRAIN_DATA',
  'ERR_MODEL_WINDOW',
  'ERR_SYSTEMD_NOTIFY',
  'ERR_STORE_CORRUPT', 'ERR_STORE_LOG_FULL', 'ERR_CHECKPOINT_INCOMPATIBLE',
  'ERR_PROTOCOL_TOO_LARGE', 'ERR_PROTOCOL_BAD_COMPRESSION', 'ERR_PROTOCOL_NOT_JSON', 'ERR_PROTOCOL_VERSION',
  'ERR_PROTOCOL_INVALID', 'ERR_PROTOCOL_TOPIC',
  'ERR_STORE_READ', 'ERR_CLOUD_DB_URL', 'ERR_CLOUD_DB_CONNECT', 'ERR_CLOUD_DB_QUERY', 'ERR_CLOUD_DB_MIGRATE',
  'ERR_CLOUD_DB_TOO_NEW', 'ERR_CLOUD_BAD_SCOPE_NAME', 'ERR_CLOUD_ALERT_NOT_FOUND', 'ERR_CLOUD_ALERT_TRANSITION',
  'ERR_CLOUD_SHUTDOWN',
  'ERR_UPLINK_ITEM_TOO_LARGE',
  'ERR_API_UNAUTHENTICATED', 'ERR_API_LOGIN_FAILED', 'ERR_API_FORBIDDEN', 'ERR_API_BAD_REQUEST', 'ERR_API_NOT_FOUND',
  'ERR_API_TOO_MANY_ATTEMPTS', 'ERR_API_CROSS_ORIGIN', 'ERR_API_STREAM_LIMIT', 'ERR_API_INTERNAL',
  'ERR_PUSH_PARSE', 'ERR_PUSH_NEEDS_RESTART', 'ERR_PUSH_INVALID', 'ERR_PUSH_TARGET', 'ERR_PUSH_TOO_LARGE',
  'ERR_SHUTDOWN_TIMEOUT',
];

describe('error catalogue', () => {
  it('keeps every pinned code, and every code is pinned', () => {
    expect(Object.keys(catalogue).sort()).toEqual([...PINNED].sort());
  });

  it('names codes ERR_<AREA>_<WHAT> and gives each a message', () => {
    for (const [code, spec] of Object.entries(catalogue)) {
      expect(code).toMatch(/^ERR_[A-Z]+(_[A-Z0-9]+)+$/);
      expect(spec.message.length).toBeGreaterThan(10);
    }
  });

  it('formats arguments, keeps the cause, and carries retryability by type', () => {
    const cause = new Error('disk full');
    const err = codedError('ERR_STORE_WRITE', ['disk full'], { cause });
    expect(err).toBeInstanceOf(TributaryError);
    expect(err.code).toBe('ERR_STORE_WRITE');
    expect(err.message).toBe('LevelDB write failed: disk full');
    expect(err.cause).toBe(cause);
    expect(isRetryable(err)).toBe(true);
    expect(isRetryable(codedError('ERR_DECODE_NOT_JSON', ['x']))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });
});

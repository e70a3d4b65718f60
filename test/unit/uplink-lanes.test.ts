// The uplink's sending order and its config: lanes by tier and priority, what each lane takes,
// and the config fragment's defaults and checks.

import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { schemaFile } from '../../edge/config/schema-file.js';
import { checkUplinkConfig, FlightRecorderSchema, OutboxSchema, uplinkSecurityProblem, UplinkSchema, type FlightRecorderConfig, type OutboxConfig, type UplinkConfig } from '../../edge/config/uplink-schema.js';
import { laneOrder, takeOptions } from '../../edge/uplink/lanes.js';

// The three keys as the gateway config embeds them.
const Config = Type.Object({ outbox: OutboxSchema, uplink: Type.Optional(UplinkSchema), flightRecorder: FlightRecorderSchema }, { additionalProperties: false });
type Config = { outbox: OutboxConfig; uplink?: UplinkConfig; flightRecorder: FlightRecorderConfig };
const config = schemaFile<Config>(Config, { codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' } });
const outbox = { validate: (raw: unknown) => config.validate({ outbox: raw }).outbox };
const uplink = { validate: (raw: unknown) => config.validate({ uplink: raw }).uplink! };
const recorder = { validate: (raw: unknown) => config.validate({ flightRecorder: raw }).flightRecorder };

describe('uplink lanes', () => {
  it('sends the live tier by class priority, then the backlog; alerts are never backlog', () => {
    expect(laneOrder().map((l) => `${l.tier}:${l.cls}${l.bulk ? '(bulk)' : ''}`)).toEqual([
      'live:alert', 'live:status', 'live:summary', 'live:raw(bulk)',
      'backlog:status(bulk)', 'backlog:summary(bulk)', 'backlog:raw(bulk)',
    ]);
    expect(laneOrder({ alert: 0, status: 3, summary: 1, raw: 2 }).map((l) => `${l.tier}:${l.cls}`)).toEqual([
      'live:alert', 'live:summary', 'live:raw', 'live:status', 'backlog:summary', 'backlog:raw', 'backlog:status',
    ]);
  });

  it.each([
    ['alert', 'live', { from: 'oldest', max: 10 }],
    ['summary', 'live', { from: 'newest', max: 10, queuedSince: 40_000 }],
    ['status', 'live', { from: 'newest', max: 10, queuedSince: 40_000 }],
    ['raw', 'live', { from: 'oldest', max: 10, queuedSince: 40_000 }],
    ['summary', 'backlog', { from: 'oldest', max: 10, queuedBefore: 40_000 }],
  ] as const)('%s %s takes %o', (cls, tier, expected) => {
    expect(takeOptions({ cls, tier, bulk: false }, 100_000, 60_000, 10)).toEqual(expected);
  });
});

describe('uplink config fragment', () => {
  it('fills in defaults', () => {
    expect(outbox.validate({})).toEqual({
      maxBytes: 64 * 1024 * 1024,
      expireIntervalMs: 60_000,
      classes: { alert: { priority: 0, ttlMs: 0 }, status: { priority: 1, ttlMs: 86_400_000 }, summary: { priority: 2, ttlMs: 604_800_000 }, raw: { priority: 3, ttlMs: 86_400_000 } },
    });
    expect(uplink.validate({ url: 'mqtts://cloud:8883' })).toMatchObject({ gzip: true, maxBatchItems: 500, bytesPerSec: 0, liveReserve: 0.25, liveWindowMs: 60_000, ackTimeoutMs: 30_000 });
    expect(recorder.validate({})).toMatchObject({ enabled: true, beforeMs: 60_000, afterMs: 30_000, settleMs: 5_000 });
  });

  it('refuses unknown keys and bad values, with their paths', () => {
    expect(() => uplink.validate({ url: 'http://cloud' })).toThrow(/url/);
    expect(() => uplink.validate({ url: 'mqtt://c', liveReserve: 1 })).toThrow(/liveReserve/);
    expect(() => outbox.validate({ classes: { alert: { ttl: 5 } } })).toThrow(/ttl/);
  });

  it('checks what the schema cannot say', () => {
    const base = { flightRecorder: recorder.validate({}) };
    expect(checkUplinkConfig({ ...base, uplink: uplink.validate({ url: 'mqtts://c', certFile: 'a.pem' }) })).toEqual(['uplink: certFile and keyFile go together']);
    expect(checkUplinkConfig({ ...base, uplink: uplink.validate({ url: 'mqtts://c', tokenFile: 't' }) })).toEqual([expect.stringContaining('needs uplink.username')]);
    expect(checkUplinkConfig(base, 60_000)).toEqual([expect.stringContaining('exceeds the ingest log retention')]);
    expect(checkUplinkConfig(base, 300_000)).toEqual([]);
    const loopback = (h: string) => h === '127.0.0.1' || h === '::1';
    expect(uplinkSecurityProblem(uplink.validate({ url: 'mqtt://cloud.example', username: 'u', tokenFile: 't' }), loopback)).toMatch(/clear text/);
    expect(uplinkSecurityProblem(uplink.validate({ url: 'mqtt://127.0.0.1:1883', username: 'u', tokenFile: 't' }), loopback)).toBeUndefined();
    expect(uplinkSecurityProblem(uplink.validate({ url: 'mqtts://cloud.example', username: 'u', tokenFile: 't' }), loopback)).toBeUndefined();
  });
});

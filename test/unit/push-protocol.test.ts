// Config and model push, the pure parts: JSON Merge Patch as RFC 7396 specifies it, which config
// changes need a restart, and the push messages on the wire (round trip, refusals with the id
// still readable so the refusal can be reported against it, the applied report in status items).

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../edge/config/load.js';
import { restartPaths } from '../../edge/push/live-keys.js';
import { changedPaths, jsonEqual, mergePatch } from '../../edge/push/merge-patch.js';
import { decodePush, encodePush, pushEncoder, type PushDecodeResult } from '../../edge/uplink/push-protocol.js';
import { validators } from '../../edge/uplink/protocol.js';
import { configPush, modelPush, newPushId, tempModel } from '../helpers/push.js';
import { exampleStatus } from '../helpers/uplink-items.js';

describe('JSON Merge Patch (RFC 7396, Appendix A)', () => {
  it.each<[unknown, unknown, unknown]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j merged with %j is %j', (target, patch, result) => {
    const before = structuredClone(target);
    expect(mergePatch(target, patch)).toEqual(result);
    expect(target).toEqual(before);
  });

  it('compares JSON values whatever the key order, and names the paths that differ', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(changedPaths({ a: { b: 1, c: [1] }, d: 1 }, { a: { b: 2, c: [1] }, d: 1, e: 3 })).toEqual(['a.b', 'e']);
  });
});

describe('what a push may change without a restart', () => {
  const base = validateConfig({ gateway: { id: 'gw-1' }, mqtt: { broker: { host: '127.0.0.1' } }, auth: { allowAnonymous: true } });
  const over = (patch: object) => validateConfig(mergePatch(base, patch));
  it.each<[string, object, string[]]>([
    ['alert rules', { alerts: { rules: [{ name: 'r', type: 'threshold', feature: 'a.mean', above: 1 }] } }, []],
    ['device kinds, detectors and the decoder\'s limits', { devices: { kinds: { pump: ['p-*'] } }, decode: { maxPayloadBytes: 8192, knownDevices: ['p-1'] }, detectors: [] }, []],
    ['models', { models: [{ path: 'x.onnx' }] }, []],
    ['windows', { windows: { allowedLatenessMs: 1 } }, ['windows.allowedLatenessMs']],
    ['the broker port and the HTTP endpoint', { mqtt: { broker: { port: 1 } }, http: { port: 2 } }, ['http.port', 'mqtt.broker.port']],
    ['the gateway id and the data folder', { gateway: { id: 'gw-2' }, dataDir: '/x' }, ['dataDir', 'gateway.id']],
    ['an uplink', { uplink: { url: 'mqtt://127.0.0.1:1' } }, ['uplink']],
  ])('%s', (_, patch, paths) => {
    expect(restartPaths(base, over(patch))).toEqual(paths);
  });
});

describe('push messages', () => {
  const GW = 'gw-7';
  const m = tempModel('2', 2);
  const expectOk = (r: PushDecodeResult) => {
    if (!r.ok) throw new Error(`refused: ${r.reason}: ${r.error.message}`);
    return r.push;
  };

  it.each([
    ['config', configPush(GW, { alerts: { rules: [] } })],
    ['model', modelPush(GW, m.onnx, m.manifest)],
  ] as const)('a %s push round-trips on its topic, gzip-compressed', (kind, p) => {
    const enc = encodePush(p);
    expect(enc.topic).toBe(`tributary/v1/${GW}/${kind}`);
    expect(enc.compressed).toBe(enc.jsonBytes >= 256);
    expect(expectOk(decodePush(enc.topic, enc.payload))).toEqual({ v: 1, ...p });
  });

  it('encodes one push for many gateways with its bulk compressed once: each message decodes as that gateway\'s push', () => {
    const { gateway: _gw, ...shared } = modelPush(GW, m.onnx, m.manifest);
    const encode = pushEncoder(shared);
    for (const gw of ['gw-1', 'gw-22']) {
      const enc = encode(gw);
      expect(enc.topic).toBe(`tributary/v1/${gw}/model`);
      expect(enc.payload.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(expectOk(decodePush(enc.topic, enc.payload))).toEqual({ v: 1, gateway: gw, ...shared });
      expect(enc.jsonBytes).toBe(encodePush({ ...shared, gateway: gw } as Parameters<typeof encodePush>[0]).jsonBytes);
    }
  });

  const body = (over: Record<string, unknown>) => ({ v: 1, ...configPush(GW, {}), ...over });
  const id = newPushId();
  it.each<[string, string, unknown, string, string | undefined]>([
    ['not JSON', `tributary/v1/${GW}/config`, 'nope', 'not_json', undefined],
    ['bad gzip', `tributary/v1/${GW}/config`, Buffer.from([0x1f, 0x8b, 1, 2]), 'bad_compression', undefined],
    ['a newer version (its id still read)', `tributary/v1/${GW}/config`, body({ v: 2, id }), 'unsupported_version', id],
    ['a missing document', `tributary/v1/${GW}/config`, body({ id, document: undefined }), 'invalid', id],
    ['an unknown format', `tributary/v1/${GW}/config`, body({ id, format: 'toml' }), 'invalid', id],
    ['another gateway\'s push', `tributary/v1/${GW}/config`, body({ id, gateway: 'gw-8' }), 'wrong_topic', id],
    ['a config push on the model topic', `tributary/v1/${GW}/model`, body({ id }), 'invalid', id],
    ['the ack topic', `tributary/v1/${GW}/ack`, body({ id }), 'wrong_topic', undefined],
  ])('refuses %s', (_, topic, payload, reason, readId) => {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const r = decodePush(topic, bytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.id).toBe(readId);
  });

  it('refuses a gzip bomb by its decompressed size', () => {
    const r = decodePush(`tributary/v1/${GW}/config`, gzipSync(Buffer.alloc(2 << 20, 0x20)), { maxBytes: 1 << 20, maxDecompressedBytes: 1 << 20 });
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
  });

  it('status items may carry the applied report; an old gateway\'s without it are still valid', () => {
    const applied = {
      config: { id: newPushId(), version: 'c1', at: 1 },
      models: [{ name: 'temp-model', version: '2', id: null }],
      refused: [{ kind: 'model', id: newPushId(), version: '3', name: 'temp-model', code: 'ERR_MODEL_MISMATCH', message: 'no', at: 2 }],
    };
    expect(validators.items.status({ ...exampleStatus(GW, 0), applied })).toBe(true);
    expect(validators.items.status(exampleStatus(GW, 0))).toBe(true);
    expect(validators.items.status({ ...exampleStatus(GW, 0), applied: { ...applied, refused: [{ ...applied.refused[0], code: 'oops' }] } })).toBe(false);
  });
});

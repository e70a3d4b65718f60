// The cloud config: defaults, every problem with its path, and the secure defaults (nothing
// reachable from the network without a way to authenticate, no secrets in the file).

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cloudConfigWarnings, loadCloudConfig, validateCloudConfig } from '../../cloud/config/load.js';
import { mayPublish, maySubscribe } from '../../cloud/ingest/gateway-acl.js';
import { errorOf } from '../helpers/errors.js';

const HASH = 'scrypt$14$8$1$cZ87mVNoU6Uj4lEZiIyVrw==$H14xmOWO6+FWXGq0WxhFNhJ9/+3hYWNInIRo0FqxVUo=';
const base = { cloud: { id: 'c1' } };
const gateways = { 'gw-1': { tokenHash: HASH } };

describe('cloud config', () => {
  it('fills defaults: the embedded broker on loopback, LevelDB in dataDir, frozen', () => {
    const c = validateCloudConfig(base);
    expect(c.mqtt.broker).toMatchObject({ enabled: true, host: '127.0.0.1', port: 1884 });
    expect(c.mqtt.client).toBeUndefined();
    expect(c.ingest).toEqual({ maxMessageBytes: 1 << 20, maxDecompressedBytes: 16 << 20, maxInFlightMessages: 1000, registryFlushMs: 1000, gzipAcks: true });
    expect(c.store.rollups.sourceWindowsMs).toEqual([10_000]);
    expect(c.cloud.shutdownTimeoutMs).toBe(15_000);
    expect(Object.isFrozen(c.mqtt.broker)).toBe(true);
    expect(cloudConfigWarnings(c)).toEqual([]);
  });

  it('reports every problem at once, each with its path', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['unknown key', { surprise: 1 }, 'unknown key "surprise"'],
      ['bad gateway id', { gateways: { 'bad id': { tokenHash: HASH } } }, 'gateways'],
      ['plaintext token', { gateways: { 'gw-1': { tokenHash: 'hunter2' } } }, 'gateways.gw-1.tokenHash'],
      ['malformed hash', { gateways: { 'gw-1': { tokenHash: 'scrypt$1$2' } } }, 'gateways.gw-1.tokenHash: not a valid scrypt hash'],
      ['no token with the broker', { gateways: { 'gw-1': { site: 'p1' } } }, 'gateways.gw-1.tokenHash: required with the embedded broker'],
      ['both ingests', { mqtt: { client: { url: 'mqtts://b:8883' } } }, 'choose one'],
      ['no ingest', { mqtt: { broker: { enabled: false } } }, 'no ingest is configured'],
      ['same ports', { mqtt: { broker: { port: 1884, tls: { port: 1884, certFile: 'c', keyFile: 'k' } } } }, 'mqtt.broker.tls.port: 1884 is also the plain port'],
      ['credentials in a URL', { mqtt: { broker: { enabled: false }, client: { url: 'mqtts://u:p@b:8883' } } }, 'mqtt.client.url: carries a user name or password'],
      ['not postgres', { db: 'mysql://x/y' }, 'db: must match pattern'],
      ['store check', { store: { rollups: { sourceWindowsMs: [7000] } } }, 'store.rollups.sourceWindowsMs.0'],
    ];
    for (const [name, over, text] of cases) {
      const err = errorOf(() => validateCloudConfig({ ...base, gateways, ...over }));
      expect(err.code, name).toBe('ERR_CONFIG_INVALID');
      expect(err.message, name).toContain(text);
    }
  });

  it('refuses what would expose the worker or keep a secret in the file', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a network broker with no gateway', { mqtt: { broker: { host: '0.0.0.0' } } }, 'no gateways are configured'],
      ['a password in db', { gateways, db: 'postgres://tributary:pa55word@db/tributary' }, 'db carries a password'],
      ['HTTP off loopback with no users', { gateways, http: { host: '0.0.0.0' } }, 'no users are configured'],
    ];
    for (const [name, over, text] of cases) {
      const err = errorOf(() => validateCloudConfig({ ...base, ...over }));
      expect(err.code, name).toBe('ERR_CONFIG_INSECURE');
      expect(err.message, name).toContain(text);
      expect(err.message, name).not.toContain('pa55word');
    }
    // With gateways, a network broker is allowed, with a warning while it is not TLS.
    const open = validateCloudConfig({ ...base, gateways, mqtt: { broker: { host: '0.0.0.0' } } });
    expect(cloudConfigWarnings(open).join('\n')).toMatch(/without TLS/);
    const client = validateCloudConfig({ ...base, gateways: { 'gw-1': {} }, mqtt: { broker: { enabled: false }, client: { url: 'mqtt://broker.plant:1883' } } });
    expect(cloudConfigWarnings(client).join('\n')).toMatch(/mqtt.client.url .* is not TLS/);
    expect(client.mqtt.client).toMatchObject({ shareGroup: 'tributary', connections: 4, sessionExpirySeconds: 3600 });
  });

  it('accepts the shipped example config', () => {
    const c = loadCloudConfig(fileURLToPath(new URL('../../cloud/cloud.example.yaml', import.meta.url)));
    expect(c.cloud.id).toBe('cloud-1');
    expect(Object.keys(c.gateways)).toEqual(['gw-7', 'gw-8']);
  });
});

describe('cloud broker ACL', () => {
  it('lets a gateway publish under its own up topics only', () => {
    const cases: Array<[string, true | string]> = [
      ['tributary/v1/gw-1/up/summary', true],
      ['tributary/v1/gw-1/up/status', true],
      // Judged by the decoder, which dead-letters them with a reason.
      ['tributary/v2/gw-1/up/summary', true],
      ['tributary/v1/gw-1/up/novel', true],
      ['tributary/v1/gw-2/up/summary', 'other_gateway'],
      ['tributary/v1/gw-1/ack', 'bad_topic'],
      ['tributary/v1/gw-1/up/summary/extra', 'bad_topic'],
      ['$SYS/tributary/v1/gw-1/up/summary', 'bad_topic'],
      ['sensors/gw-1', 'bad_topic'],
      ['tributary/v1/+/up/summary', 'bad_topic'],
    ];
    for (const [topic, want] of cases) {
      const d = mayPublish('gw-1', topic);
      expect(d.ok ? true : d.reason, topic).toBe(want);
    }
  });

  it('lets a gateway subscribe to its own down topics only', () => {
    const allowed = ['tributary/v1/gw-1/+', 'tributary/v1/gw-1/ack', 'tributary/v1/gw-1/config', 'tributary/v1/gw-1/model'];
    const refused = ['tributary/v1/gw-2/ack', 'tributary/v1/gw-1/#', 'tributary/#', 'tributary/v1/gw-1/up/+', 'tributary/v2/gw-1/ack', 'tributary/v1/gw-10/ack', '$share/x/tributary/v1/gw-1/ack'];
    for (const f of allowed) expect(maySubscribe('gw-1', f), f).toBe(true);
    for (const f of refused) expect(maySubscribe('gw-1', f), f).toBe(false);
  });
});

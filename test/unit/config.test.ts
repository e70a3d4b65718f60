// Config validation: defaults filled in, unknown keys and bad values reported together with paths.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, validateConfig } from '../../edge/config/load.js';
import { errorOf } from '../helpers/errors.js';

describe('edge config', () => {
  it('fills defaults from the schema and freezes the result', () => {
    const c = validateConfig({ gateway: { id: 'gw-1' } });
    expect(c.mqtt.broker.port).toBe(1883);
    expect(c.mqtt.broker.noDelay).toBe(true);
    expect(c.auth.allowAnonymous).toBe(false);
    expect(c.windows.definitions.length).toBeGreaterThan(0);
    expect(c.http.host).toBe('127.0.0.1');
    expect(Object.isFrozen(c.windows)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const err = errorOf(() =>
      validateConfig({
        gateway: { id: 'bad id' },
        surprise: 1,
        mqtt: { broker: { port: 70000 } },
        windows: { allowedLatenessMs: -5 },
      }),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('gateway.id');
    expect(err.message).toContain('unknown key "surprise"');
    expect(err.message).toContain('mqtt.broker.port');
    expect(err.message).toContain('windows.allowedLatenessMs');
  });

  it('refuses a hopping window that slides further than it is long', () => {
    const err = errorOf(() => validateConfig({ gateway: { id: 'g' }, windows: { definitions: [{ kind: 'hopping', sizeMs: 1000, slideMs: 2000 }] } }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('windows.definitions.0');
  });

  it('refuses anonymous access on a broker reachable from the network', () => {
    const err = errorOf(() => validateConfig({ gateway: { id: 'g' }, auth: { allowAnonymous: true } }));
    expect(err.code).toBe('ERR_CONFIG_INSECURE');
    expect(validateConfig({ gateway: { id: 'g' }, auth: { allowAnonymous: true }, mqtt: { broker: { host: '127.0.0.1' } } }).auth.allowAnonymous).toBe(true);
  });

  it('takes a TLS listener with its port, and refuses unknown keys in it', () => {
    const tls = { port: 8883, certFile: 'gw.crt', keyFile: 'gw.key' };
    expect(validateConfig({ gateway: { id: 'g' }, mqtt: { broker: { host: '127.0.0.1', tls } } }).mqtt.broker.tls).toEqual(tls);
    const err = errorOf(() => validateConfig({ gateway: { id: 'g' }, mqtt: { broker: { host: '127.0.0.1', tls: { ...tls, cert: 'x' } } } }));
    expect(err.message).toContain('mqtt.broker.tls: unknown key "cert"');
  });

  it('refuses an HTTP endpoint off loopback without a token', () => {
    expect(errorOf(() => validateConfig({ gateway: { id: 'g' }, http: { host: '0.0.0.0' } })).code).toBe('ERR_CONFIG_INSECURE');
  });

  it('refuses a plaintext password where a hash belongs', () => {
    const err = errorOf(() => validateConfig({ gateway: { id: 'g' }, auth: { users: { 'pump-7': { passwordHash: 'hunter2' } } } }));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('auth.users.pump-7.passwordHash');
    expect(err.message).not.toContain('hunter2');
  });

  it('reads YAML files and names the file in read and parse errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'gateway:\n  id: gw-9\nwindows:\n  definitions:\n    - { kind: session, gapMs: 5000 }\n');
    expect(loadConfigFile(good).windows.definitions).toEqual([{ kind: 'session', gapMs: 5000 }]);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'gateway: [unclosed\n');
    expect(errorOf(() => loadConfigFile(bad)).code).toBe('ERR_CONFIG_PARSE');
    expect(errorOf(() => loadConfigFile(join(dir, 'missing.yaml'))).code).toBe('ERR_CONFIG_READ');
  });

  it('accepts the shipped example config', () => {
    expect(loadConfigFile(new URL('../../edge/edge.example.yaml', import.meta.url).pathname).gateway.id).toBe('gw-demo');
  });
});

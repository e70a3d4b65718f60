// Cloud workers for tests: a validated config on port 0 with gateways and their tokens (scrypt at a
// test's cost), a worker opened on it (or with everything `tributary cloud` runs, API included),
// and the gated store wrapper that shows when writes complete.

import { CloudApi } from '../../cloud/api/api.js';
import { hashPassword } from '../../edge/auth/password.js';
import { validateCloudConfig } from '../../cloud/config/load.js';
import type { CloudConfig } from '../../cloud/config/schema.js';
import { Cloud, type CloudOptions } from '../../cloud/service/cloud.js';
import { cloudParts } from '../../cloud/service/parts.js';
import type { CloudStore } from '../../cloud/store/contract.js';
import { credentialsConfig } from './cloud-context.js';

/** scrypt at N = 2^8: the real format at a cost tests can pay per gateway. */
const TEST_HASH = { logN: 8 } as const;

export interface TestGateways {
  readonly gateways: Record<string, { tokenHash: string; site?: string; line?: string }>;
  readonly tokens: Record<string, string>;
}

/** Gateways `ids` with a token each (`token-<id>`), and the config entries with their hashes. */
export async function testGateways(ids: readonly string[], places: Record<string, { site?: string; line?: string }> = {}): Promise<TestGateways> {
  const gateways: TestGateways['gateways'] = {};
  const tokens: Record<string, string> = {};
  for (const id of ids) {
    tokens[id] = `token-${id}`;
    gateways[id] = { tokenHash: await hashPassword(tokens[id], TEST_HASH), ...places[id] };
  }
  return { gateways, tokens };
}

/** A validated cloud config: the embedded broker on 127.0.0.1:0, `dataDir`, then `over` on top (shallow per section). */
export function testCloudConfig(dataDir: string, gateways: CloudConfig['gateways'], over: Record<string, unknown> = {}): Readonly<CloudConfig> {
  const base: Record<string, unknown> = {
    cloud: { id: 'cloud-test' },
    dataDir,
    gateways,
    mqtt: { broker: { host: '127.0.0.1', port: 0 } },
    log: { level: 'silent' },
  };
  return validateCloudConfig({ ...base, ...over });
}

/** Open a worker; `cloud.source.port` is the broker's port. */
export async function openCloud(config: Readonly<CloudConfig>, options: CloudOptions = {}): Promise<Cloud> {
  const cloud = new Cloud(config, options);
  await cloud.open();
  return cloud;
}

/** The embedded broker's URL of an open worker. */
export function brokerUrl(cloud: Cloud, tls = false): string {
  const port = tls ? cloud.source?.tlsPort : cloud.source?.port;
  if (port === undefined) throw new Error('the worker has no embedded broker listening');
  return `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`;
}

/**
 * A store whose summary writes wait for `release()` before they start, recording when each
 * completed (performance.now()), so a test can see what happens before a write is durable.
 */
export function gatedStore(store: CloudStore): { store: CloudStore; release(): void; readonly durableAt: number[]; readonly waiting: () => number } {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  const durableAt: number[] = [];
  const proxy = new Proxy(store, {
    get(target, key) {
      if (key === 'ingestSummaries') {
        return async (batch: Parameters<CloudStore['ingestSummaries']>[0]) => {
          waiting++;
          await gate;
          waiting--;
          const results = await target.ingestSummaries(batch);
          durableAt.push(performance.now());
          return results;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: proxy,
    release: () => {
      open();
      gate = Promise.resolve();
    },
    durableAt,
    waiting: () => waiting,
  };
}

/**
 * A worker with the parts `tributary cloud` runs (cloudParts: the API serving the dashboard, with
 * push; the alert rules; retention), the embedded broker and the API on 127.0.0.1:0, its users
 * PEOPLE (cloud-context.ts); `base` is the API's address.
 */
export async function openCloudWorker(dataDir: string, gateways: CloudConfig['gateways']): Promise<{ cloud: Cloud; base: string }> {
  const { users } = await credentialsConfig();
  const cloud = await openCloud(testCloudConfig(dataDir, gateways, { users, http: { host: '127.0.0.1', port: 0 } }), cloudParts);
  const api = cloud.parts.find((p): p is CloudApi => p instanceof CloudApi);
  if (!api) {
    await cloud.close();
    throw new Error('the worker has no API part');
  }
  return { cloud, base: `http://127.0.0.1:${api.port}` };
}

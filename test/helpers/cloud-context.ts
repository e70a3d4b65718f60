// A cloud worker's shared context for tests: a real LevelDB store in a temporary folder, a config
// validated against the real schema (defaults filled in), a logger whose lines are kept (to check
// what is logged, and that secrets are not), a fresh metrics registry and bus.

import { Writable } from 'node:stream';
import { hashPassword } from '../../edge/auth/password.js';
import type { Clock } from '../../edge/clock/clock.js';
import { schemaFile } from '../../edge/config/schema-file.js';
import { createLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { CloudConfigSchema, type CloudConfig } from '../../cloud/config/schema.js';
import { CloudBus, type CloudContext } from '../../cloud/service/context.js';
import { createCloudStore } from '../../cloud/store/registry.js';
import { tempDir } from './temp-dir.js';

const cloudConfig = schemaFile<CloudConfig>(CloudConfigSchema, { codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' } });

/** Validate a raw cloud config (test helpers' stand-in for the cloud's config loader). */
export const cloudConfigFrom = (raw: unknown): Readonly<CloudConfig> => cloudConfig.validate(raw);

/** People and gateways the API tests log in as: name → password (or token), role. */
export const PEOPLE = { vera: { password: 'vera-pw', role: 'viewer' }, otto: { password: 'otto-pw', role: 'operator' }, ada: { password: 'ada-pw', role: 'admin' } } as const;
export const GATEWAYS = { 'gw-1': 'gw-1-token', 'gw-2': 'gw-2-token' } as const;

let hashes: Promise<{ users: Record<string, { passwordHash: string; role: string }>; gateways: Record<string, { tokenHash: string }> }> | undefined;

/** users and gateways sections with cheap (logN 10) hashes of PEOPLE's and GATEWAYS' secrets. */
export function credentialsConfig(): NonNullable<typeof hashes> {
  hashes ??= (async () => ({
    users: Object.fromEntries(await Promise.all(Object.entries(PEOPLE).map(async ([name, p]) => [name, { passwordHash: await hashPassword(p.password, { logN: 10 }), role: p.role }] as const))),
    gateways: Object.fromEntries(await Promise.all(Object.entries(GATEWAYS).map(async ([id, token]) => [id, { tokenHash: await hashPassword(token, { logN: 10 }) }] as const))),
  }))();
  return hashes;
}

export interface CloudFixture extends AsyncDisposable {
  readonly ctx: CloudContext;
  /** Every log line written so far (JSON text). */
  readonly logLines: string[];
}

/** Open a store in a fresh temporary folder and build the context around it; dispose closes and removes it. */
export async function cloudFixture(o: { clock: Clock; config?: Record<string, unknown> }): Promise<CloudFixture> {
  const dir = tempDir('tributary-cloud-');
  const { users, gateways } = await credentialsConfig();
  const config = cloudConfigFrom({ cloud: { id: 'test' }, dataDir: dir.path, users, gateways, http: { port: 0 }, ...o.config });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const store = createCloudStore(dir.path, { config: config.store, clock: o.clock });
  await store.open();
  const ctx: CloudContext = { config, store, clock: o.clock, log: createLogger('debug', sink), metrics: new Registry(), bus: new CloudBus() };
  return {
    ctx,
    logLines,
    async [Symbol.asyncDispose]() {
      await store.close();
      dir[Symbol.dispose]();
    },
  };
}

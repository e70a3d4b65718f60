// The one place that turns `--db` into a store: a postgres:// URL is PostgreSQL, anything else a
// LevelDB folder (the embedded default). Every implementation is listed here and checked against
// the contract at compile time.

import { codedError } from '../../edge/errors/catalogue.js';
import type { CloudStore } from './contract.js';
import { LevelCloudStore } from './level/level-store.js';
import type { CloudStoreOptions } from './options.js';
import { PgCloudStore, type PgStoreOptions } from './postgres/pg-store.js';

export const STORES = {
  level: (dir: string, options: CloudStoreOptions) => new LevelCloudStore(dir, options),
  postgres: (url: string, options: PgStoreOptions) => new PgCloudStore(url, options),
} satisfies Record<string, (db: string, options: PgStoreOptions) => CloudStore>;

/** A store for `db` (not opened yet). Throws ERR_CLOUD_DB_URL for an empty or unknown URL scheme. */
export function createCloudStore(db: string, options: PgStoreOptions = {}): CloudStore {
  if (/^postgres(ql)?:\/\//i.test(db)) return STORES.postgres(db, options);
  if (db.trim() === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(db)) throw codedError('ERR_CLOUD_DB_URL', [JSON.stringify(db)]);
  return STORES.level(db.replace(/^level:/, ''), options);
}

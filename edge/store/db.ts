// The gateway's one LevelDB database, split into sublevels (dead-letter, late-data, outbox, ...).

import { mkdir } from 'node:fs/promises';
import type { AbstractSublevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';
import { codedError } from '../errors/catalogue.js';

export type Db = ClassicLevel<string, string>;
/** A string-keyed, string-valued sublevel of the gateway's database. */
export type Sublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, string>;

/** Open (creating if needed) the LevelDB database in `dir`. Throws ERR_STORE_OPEN. */
export async function openDb(dir: string): Promise<Db> {
  try {
    await mkdir(dir, { recursive: true });
    const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    return db;
  } catch (err) {
    throw codedError('ERR_STORE_OPEN', [dir, (err as Error).cause ? String((err as Error).cause) : (err as Error).message], { cause: err });
  }
}

export function sublevel(db: Db, name: string): Sublevel {
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
}

// The gateway's one LevelDB database, split into sublevels (dead-letter, late-data, outbox, ...).

import { mkdir } from 'node:fs/promises';
import type { AbstractSublevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';
import { codedError } from '../errors/catalogue.js';

export type Db = ClassicLevel<string, string>;
/** A string-keyed, string-valued sublevel of the gateway's database. */
export type Sublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, string>;

// LevelDB's own memory, sized for a gateway held to 150 MB (docs on memory). Its default 8 MiB block
// cache suits databases read at random. This one is written in order and read back mostly where it
// was just written (the outbox's newest items, the flight recorder's last minutes), which the
// memtable and the OS page cache answer: 2 MiB. The write buffer stays at LevelDB's 4 MiB: at
// 1 MiB or 2 MiB, level-0 files are smaller and compacted more often, and `npm run bench -- durable`
// measured 42–48 bytes written to disk per reading instead of 36–38 (SD card wear) for 3 MB.
const LEVELDB_MEMORY = {
  /** Uncompressed blocks kept for reads (bytes). */
  cacheSize: 2 * 2 ** 20,
  /** Writes gathered in memory (the memtable) before they become a sorted file (bytes). */
  writeBufferSize: 4 * 2 ** 20,
} as const;

/** Open (creating if needed) the LevelDB database in `dir`. Throws ERR_STORE_OPEN. */
export async function openDb(dir: string): Promise<Db> {
  try {
    await mkdir(dir, { recursive: true });
    const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', ...LEVELDB_MEMORY });
    await db.open();
    return db;
  } catch (err) {
    throw codedError('ERR_STORE_OPEN', [dir, (err as Error).cause ? String((err as Error).cause) : (err as Error).message], { cause: err });
  }
}

export function sublevel(db: Db, name: string): Sublevel {
  return db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
}

// Every LevelDB write of the cloud store goes through here: one atomic batch, fsynced before it
// resolves (the cloud acknowledges gateways only after this), failures coded ERR_STORE_WRITE.

import { codedError } from '../../../edge/errors/catalogue.js';
import type { Db, Layout } from './layout.js';

type Sublevel = Layout[keyof Layout];

export type LevelOp = { type: 'put'; sublevel: Sublevel; key: string; value: string | Buffer } | { type: 'del'; sublevel: Sublevel; key: string };

export async function writeBatch(db: Db, ops: readonly LevelOp[]): Promise<void> {
  if (ops.length === 0) return;
  try {
    await db.batch<string, string | Buffer>(ops as LevelOp[], { sync: true });
  } catch (err) {
    throw codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
  }
}

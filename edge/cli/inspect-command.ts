// `tributary edge inspect`: what the outbox, alerts, dead-letter and late-data stores hold.
// A running gateway holds the LevelDB lock, so ask its HTTP endpoint first; read LevelDB directly
// only when nothing answers there.

import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { readSecretFile } from '../config/read-file.js';
import { codedError } from '../errors/catalogue.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { readLog } from '../store/bounded-log.js';
import { openDb } from '../store/db.js';
import type { Io } from './io.js';

const STORES = ['outbox', 'alerts', 'raw', 'status', 'dead-letter', 'late-data'] as const;
/** The outbox class each outbox store is (the rest are bounded logs in their own sublevels). */
const OUTBOX_CLASS = { outbox: 'summary', alerts: 'alert', raw: 'raw', status: 'status' } as const;

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        limit: { type: 'string', default: '20' },
        order: { type: 'string', default: 'newest' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw codedError('ERR_CLI_USAGE', [(err as Error).message, 'edge inspect'], { cause: err });
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write('Usage: tributary edge inspect --config <file> [outbox|alerts|raw|status|dead-letter|late-data] [--limit N] [--order newest|oldest]\n');
    return 0;
  }
  if (!values.config) throw codedError('ERR_CLI_USAGE', ['--config <file> is required', 'edge inspect']);
  const stores = positionals.length ? positionals : [...STORES];
  for (const s of stores) if (!(STORES as readonly string[]).includes(s)) throw codedError('ERR_CLI_USAGE', [`unknown store "${s}"; choose from ${STORES.join(', ')}`, 'edge inspect']);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw codedError('ERR_CLI_USAGE', ['--limit must be a positive integer', 'edge inspect']);
  const order = values.order === 'oldest' ? 'oldest' : 'newest';
  const config = loadConfigFile(values.config);

  const result: Record<string, unknown> = {};
  const live = config.http.enabled ? await fromHttp(config, stores, limit, order) : undefined;
  if (live) Object.assign(result, live);
  else Object.assign(result, await fromDisk(config.dataDir, stores, limit, order));
  io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

async function fromHttp(config: ReturnType<typeof loadConfigFile>, stores: string[], limit: number, order: string): Promise<Record<string, unknown> | undefined> {
  const scheme = config.http.tls ? 'https' : 'http';
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const headers: Record<string, string> = config.http.tokenFile ? { authorization: `Bearer ${await readSecretFile(config.http.tokenFile, 'HTTP token')}` } : {};
  const out: Record<string, unknown> = {};
  for (const store of stores) {
    let res: Response;
    try {
      res = await fetch(`${scheme}://${host}:${config.http.port}/inspect/${store}?limit=${limit}&order=${order}`, { headers });
    } catch {
      return undefined; // nothing listening: the gateway is stopped
    }
    out[store] = await res.json();
  }
  return out;
}

async function fromDisk(dir: string, stores: string[], limit: number, order: 'newest' | 'oldest'): Promise<Record<string, unknown>> {
  const db = await openDb(dir);
  try {
    const out: Record<string, unknown> = {};
    for (const store of stores) {
      const cls = OUTBOX_CLASS[store as keyof typeof OUTBOX_CLASS];
      out[store] = cls ? await readOutbox(db, cls, limit, order) : await readLog(db, store, limit, order);
    }
    return out;
  } finally {
    await db.close();
  }
}

// Password hashes for broker users: scrypt from node:crypto in the self-describing form
// `scrypt$<logN>$<r>$<p>$<salt b64>$<hash b64>`, and a bounded cache of recently verified
// credentials so a fleet reconnecting after a network blip does not pay scrypt once per device.

import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { codedError } from '../errors/catalogue.js';

export interface HashOptions {
  /** log2 of scrypt's cost N (default 14: N = 16384, 16 MiB and tens of milliseconds per hash at r = 8). */
  readonly logN?: number;
  /** scrypt block size r (default 8). */
  readonly r?: number;
  /** scrypt parallelisation p (default 1). */
  readonly p?: number;
}

interface Params {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

const DEFAULTS: Params = { logN: 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// A hash string comes from config, so bound what it may ask of us: 256 MiB and ≤ 64-byte keys.
const MAX_MEMORY = 256 * 1024 * 1024;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Hash `password` with a fresh random salt. Bad options are a programmer mistake (TypeError). */
export async function hashPassword(password: string | Buffer, options: HashOptions = {}): Promise<string> {
  const params = { ...DEFAULTS, ...options };
  const problem = checkParams(params);
  if (problem) throw new TypeError(`hashPassword: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * True when `password` matches `hash`, compared in constant time. A malformed hash rejects with
 * ERR_AUTH_BAD_HASH naming `who` (the username, when the caller knows it).
 */
export async function verifyPassword(password: string | Buffer, hash: string, who = 'this user'): Promise<boolean> {
  const parsed = parseHash(hash, who);
  const key = await derive(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** Throw ERR_AUTH_BAD_HASH unless `hash` is one this module can verify (checked once at start-up). */
export function assertValidHash(hash: string, who: string): void {
  parseHash(hash, who);
}

function parseHash(hash: string, who: string): Params & { salt: Buffer; key: Buffer } {
  const bad = () => codedError('ERR_AUTH_BAD_HASH', [who]);
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw bad();
  const [logN, r, p] = parts.slice(1, 4).map((s) => (/^[0-9]{1,3}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
  const [saltText, keyText] = [parts[4]!, parts[5]!];
  if (!B64.test(saltText) || !B64.test(keyText)) throw bad();
  const salt = Buffer.from(saltText, 'base64');
  const key = Buffer.from(keyText, 'base64');
  if (checkParams({ logN, r, p }) || salt.length < 8 || key.length < 16 || key.length > 64) throw bad();
  return { logN, r, p, salt, key };
}

function checkParams({ logN, r, p }: Params): string | undefined {
  if (!Number.isInteger(logN) || logN < 1 || logN > 24) return `logN must be an integer 1-24, got ${logN}`;
  if (!Number.isInteger(r) || r < 1 || r > 32) return `r must be an integer 1-32, got ${r}`;
  if (!Number.isInteger(p) || p < 1 || p > 16) return `p must be an integer 1-16, got ${p}`;
  if (memoryOf({ logN, r, p }) > MAX_MEMORY) return `logN ${logN} with r ${r} needs more than ${MAX_MEMORY / 2 ** 20} MiB`;
  return undefined;
}

// OpenSSL's scrypt needs 128·r·(N + p + 2) bytes; Node refuses anything above `maxmem`.
function memoryOf({ logN, r, p }: Params): number {
  return 128 * r * (2 ** logN + p + 2);
}

/** The async form runs on the libuv thread pool, so the event loop keeps serving devices meanwhile. */
function derive(password: string | Buffer, salt: Buffer, keyLength: number, params: Params): Promise<Buffer> {
  const options = { N: 2 ** params.logN, r: params.r, p: params.p, maxmem: memoryOf(params) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// Per-process key: cached MACs are useless outside this process and cannot be brute-forced cheaply.
const CACHE_KEY = randomBytes(32);

/**
 * Remembers, per username, an HMAC of the last password that verified and the hash it verified
 * against. A repeat of the same password against the same hash skips scrypt; anything else (a
 * different password, a changed hash) pays the full scrypt, so a wrong guess is never cheaper
 * for a cached user than for any other. Least recently used entries are evicted beyond
 * `maxEntries`.
 */
export class VerifiedCredentials {
  readonly #entries = new Map<string, { readonly mac: Buffer; readonly hash: string }>();

  /** @param maxEntries users remembered at most (default 10000). */
  constructor(readonly maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** verifyPassword with the cache in front. Rejects with ERR_AUTH_BAD_HASH for a malformed hash. */
  async verify(username: string, password: string | Buffer, hash: string): Promise<boolean> {
    const mac = macOf(username, password);
    const hit = this.#entries.get(username);
    if (hit && hit.hash === hash && timingSafeEqual(hit.mac, mac)) {
      // Re-insert so Map order tracks recency.
      this.#entries.delete(username);
      this.#entries.set(username, hit);
      return true;
    }
    const ok = await verifyPassword(password, hash, username);
    if (ok) {
      this.#entries.delete(username);
      this.#entries.set(username, { mac, hash });
      if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return ok;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function macOf(username: string, password: string | Buffer): Buffer {
  // Length-prefix the username so no (user, password) pair can collide with another.
  return createHmac('sha256', CACHE_KEY).update(`${username.length}:${username}:`).update(password).digest();
}

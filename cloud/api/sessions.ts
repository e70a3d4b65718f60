// Login sessions held in memory: a random 32-byte token (base64url) per login, valid for a fixed
// time from login. Only a SHA-256 of each token is kept, so the map itself holds nothing a caller
// could present. Bounded: beyond `maxSessions` the oldest login is ended first.
//
// In memory means a restart logs everyone out, and each cloud worker knows only its own sessions
// (behind a load balancer, pin a browser to one worker or expect to log in per worker).

import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../edge/clock/clock.js';
import type { Role } from './access.js';

export interface Session {
  readonly user: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly expiresAt: number;
}

const TOKEN_BYTES = 32;

const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class SessionStore {
  // Insertion order is login order, so the first key is always the oldest session.
  readonly #byDigest = new Map<string, Session>();

  /**
   * @param ttlMs how long a session lasts from login (milliseconds).
   * @param maxSessions sessions held at most (default 10000).
   */
  constructor(
    private readonly clock: Clock,
    readonly ttlMs: number,
    readonly maxSessions = 10_000,
  ) {
    if (!(ttlMs > 0)) throw new TypeError(`ttlMs must be positive, got ${ttlMs}`);
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new TypeError(`maxSessions must be a positive integer, got ${maxSessions}`);
  }

  get size(): number {
    return this.#byDigest.size;
  }

  /** Start a session; the token is returned once and never stored. */
  create(user: string, role: Role): { token: string; session: Session } {
    this.#sweep();
    const now = this.clock.now();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const session: Session = { user, role, createdAt: now, expiresAt: now + this.ttlMs };
    this.#byDigest.set(digest(token), session);
    while (this.#byDigest.size > this.maxSessions) this.#byDigest.delete(this.#byDigest.keys().next().value!);
    return { token, session };
  }

  /** The live session for `token`, or undefined (unknown, ended or expired). */
  lookup(token: string): Session | undefined {
    const key = digest(token);
    const session = this.#byDigest.get(key);
    if (session && session.expiresAt <= this.clock.now()) {
      this.#byDigest.delete(key);
      return undefined;
    }
    return session;
  }

  /** End the session of `token`; true when there was one. */
  revoke(token: string): boolean {
    return this.#byDigest.delete(digest(token));
  }

  clear(): void {
    this.#byDigest.clear();
  }

  /** Drop expired sessions from the oldest on (all sessions share one TTL, so the oldest expire first). */
  #sweep(): void {
    const now = this.clock.now();
    for (const [key, s] of this.#byDigest) {
      if (s.expiresAt > now) break;
      this.#byDigest.delete(key);
    }
  }
}

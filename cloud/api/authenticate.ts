// Who a request comes from. People log in once (POST /api/login) and then send their session as
// `Authorization: Bearer <token>` or, from the browser dashboard, as the HttpOnly session cookie;
// scripts and scrapers may send `Authorization: Basic` with a username and password instead.
// Gateways send `Authorization: Basic <gateway id>:<token>`, the same pair they connect to MQTT
// with. Password checks go through a bounded cache (VerifiedCredentials) so scrypt runs once per
// new credential rather than once per request, and failed ones are throttled per client address.

import { randomBytes } from 'node:crypto';
import type { Clock } from '../../edge/clock/clock.js';
import { assertValidHash, hashPassword, VerifiedCredentials } from '../../edge/auth/password.js';
import { codedError } from '../../edge/errors/catalogue.js';
import type { CloudConfig } from '../config/schema.js';
import type { Principal } from './access.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { SessionStore, type Session } from './sessions.js';

export const SESSION_COOKIE = 'tributary_session';

export interface Presented {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  /** The client's address, for throttling failed password checks. */
  readonly address: string;
}

export interface AuthenticatorOptions {
  readonly throttle?: LoginThrottleOptions;
  /** Sessions held at most (default 10000). */
  readonly maxSessions?: number;
}

export class Authenticator {
  readonly sessions: SessionStore;
  readonly throttle: LoginThrottle;
  readonly #people = new VerifiedCredentials();
  readonly #gateways = new VerifiedCredentials();
  // Checked against when the name is unknown, so an unknown name takes as long as a wrong password.
  #decoy: Promise<string> | undefined;

  constructor(
    private readonly config: Pick<CloudConfig, 'users' | 'gateways' | 'http'>,
    clock: Clock,
    o: AuthenticatorOptions = {},
  ) {
    const both = Object.keys(config.users).filter((name) => Object.hasOwn(config.gateways, name));
    if (both.length > 0) {
      // Basic credentials name a user or a gateway; one name for both would be ambiguous.
      throw codedError('ERR_CONFIG_INVALID', [both.length, both.map((n) => `  - users.${n}: ${n} is also a gateway id; give people and gateways different names`).join('\n')]);
    }
    // A malformed hash would otherwise surface at someone's login, naming the user to the caller.
    for (const [name, u] of Object.entries(config.users)) assertValidHash(u.passwordHash, `users.${name}`);
    // A gateway without a token (one that reaches the cloud through another broker) cannot sign in here.
    for (const [id, g] of Object.entries(config.gateways)) if (g.tokenHash !== undefined) assertValidHash(g.tokenHash, `gateways.${id}`);
    this.sessions = new SessionStore(clock, config.http.sessionTtlMs, o.maxSessions);
    this.throttle = new LoginThrottle(clock, o.throttle);
  }

  /** Check a person's password and start a session. ERR_API_LOGIN_FAILED or ERR_API_TOO_MANY_ATTEMPTS. */
  async login(username: string, password: string, address: string): Promise<{ token: string; session: Session }> {
    const principal = await this.#checkPassword(username, password, address, 'user');
    if (principal.kind !== 'user') throw new TypeError('a login resolved to a gateway');
    return this.sessions.create(principal.name, principal.role);
  }

  /**
   * The principal the request presents, or undefined when it presents nothing. Credentials that are
   * presented but wrong reject (ERR_API_UNAUTHENTICATED, ERR_API_LOGIN_FAILED, ERR_API_TOO_MANY_ATTEMPTS)
   * rather than falling back to another credential.
   */
  async principalOf(p: Presented): Promise<Principal | undefined> {
    const auth = p.authorization?.trim();
    if (auth) {
      const [scheme = '', value = ''] = auth.split(/\s+/, 2);
      if (/^bearer$/i.test(scheme)) return this.#sessionPrincipal(value, 'bearer');
      if (/^basic$/i.test(scheme)) {
        const text = Buffer.from(value, 'base64').toString('utf8');
        const colon = text.indexOf(':');
        if (colon < 1) throw codedError('ERR_API_UNAUTHENTICATED', ['Basic credentials must be base64 of <name>:<secret>']);
        return this.#checkPassword(text.slice(0, colon), text.slice(colon + 1), p.address, 'any');
      }
      throw codedError('ERR_API_UNAUTHENTICATED', [`the Authorization scheme ${JSON.stringify(scheme.slice(0, 20))} is not understood`]);
    }
    const token = cookieValue(p.cookie, SESSION_COOKIE);
    return token === undefined ? undefined : this.#sessionPrincipal(token, 'cookie');
  }

  /** The session token a request carries (for logout), whichever way it came. */
  sessionToken(p: Presented): string | undefined {
    const m = /^bearer\s+(\S+)$/i.exec(p.authorization?.trim() ?? '');
    return m ? m[1] : cookieValue(p.cookie, SESSION_COOKIE);
  }

  #sessionPrincipal(token: string, via: 'bearer' | 'cookie'): Principal {
    const s = token ? this.sessions.lookup(token) : undefined;
    if (!s) throw codedError('ERR_API_UNAUTHENTICATED', ['the session is unknown or has expired']);
    return { kind: 'user', name: s.user, role: s.role, via };
  }

  async #checkPassword(name: string, secret: string, address: string, who: 'user' | 'any'): Promise<Principal> {
    const wait = this.throttle.waitMs(address);
    if (wait > 0) throw codedError('ERR_API_TOO_MANY_ATTEMPTS', [address, Math.ceil(wait / 1000)]);
    const user = Object.hasOwn(this.config.users, name) ? this.config.users[name] : undefined;
    const gateway = who === 'any' && !user && Object.hasOwn(this.config.gateways, name) ? this.config.gateways[name] : undefined;
    let principal: Principal | undefined;
    if (user) {
      if (await this.#people.verify(name, secret, user.passwordHash)) principal = { kind: 'user', name, role: user.role, via: 'basic' };
    } else if (gateway?.tokenHash !== undefined) {
      if (await this.#gateways.verify(name, secret, gateway.tokenHash)) principal = { kind: 'gateway', id: name, via: 'basic' };
    } else {
      await this.#people.verify('\u0000decoy', secret, await (this.#decoy ??= hashPassword(randomBytes(16))));
    }
    if (!principal) {
      this.throttle.failed(address);
      throw codedError('ERR_API_LOGIN_FAILED');
    }
    this.throttle.succeeded(address);
    return principal;
  }
}

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4), or undefined. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

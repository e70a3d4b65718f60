// The embedded broker's authentication and authorisation hooks: CONNECT is checked against
// auth.users (scrypt, cached), each PUBLISH against the topic ACL, and every SUBSCRIBE refused.

import { randomBytes } from 'node:crypto';
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import { Acl, type Principal } from '../../auth/acl.js';
import { assertValidHash, hashPassword, VerifiedCredentials, verifyPassword } from '../../auth/password.js';
import type { EdgeConfig } from '../../config/schema.js';
import { codedError } from '../../errors/catalogue.js';
import type { AuthFailureReason, BrokerMetrics } from './metrics.js';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (aedes declares them as an ambient const enum). */
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
type Hook<K extends keyof AedesOptions> = NonNullable<AedesOptions[K]>;
type ReturnCode = typeof SERVER_UNAVAILABLE | typeof BAD_USERNAME_OR_PASSWORD | typeof NOT_AUTHORIZED;

export interface BrokerAuthOptions {
  readonly auth: EdgeConfig['auth'];
  readonly topicPrefix: string;
  readonly metrics: Pick<BrokerMetrics, 'authFailures' | 'publishesDenied' | 'subscribesDenied'>;
  readonly log: Logger;
  /** Users whose last good password is remembered, skipping scrypt on reconnect (default 10000). */
  readonly credentialCacheSize?: number;
}

export class BrokerAuth {
  readonly #o: BrokerAuthOptions;
  readonly #acl: Acl;
  readonly #hashes = new Map<string, string>();
  readonly #cache: VerifiedCredentials;
  readonly #principals = new WeakMap<Client, Principal>();
  #decoy: Promise<string> | undefined;

  /** Throws ERR_AUTH_BAD_HASH for a user whose hash cannot be verified, so it fails at start-up. */
  constructor(options: BrokerAuthOptions) {
    this.#o = options;
    this.#acl = new Acl(options.topicPrefix, options.auth);
    for (const [username, user] of Object.entries(options.auth.users)) {
      assertValidHash(user.passwordHash, username);
      this.#hashes.set(username, user.passwordHash);
    }
    this.#cache = new VerifiedCredentials(options.credentialCacheSize);
  }

  readonly authenticate: Hook<'authenticate'> = (client, username, password, done) => {
    const refuse = (code: ReturnCode, reason: AuthFailureReason, who: string, cause?: unknown): void => {
      this.#o.metrics.authFailures.labels(reason).inc();
      this.#o.log.warn({ clientId: client.id, user: who, reason }, 'MQTT client refused at CONNECT');
      const err = codedError('ERR_AUTH_BAD_CREDENTIALS', [who], { cause });
      done(Object.assign(err, { returnCode: code }) as AuthenticateError, false);
    };
    // MQTT 3.1.1 §3.1.2.9: a password never comes without a user name, so no user name means no credentials.
    if (username === undefined) {
      const anonymous = this.#acl.anonymous();
      if (!anonymous) return refuse(NOT_AUTHORIZED, 'missing_credentials', 'an anonymous client');
      this.#principals.set(client, anonymous);
      return done(null, true);
    }
    if (password === undefined) return refuse(BAD_USERNAME_OR_PASSWORD, 'missing_credentials', username);
    const hash = this.#hashes.get(username);
    const principal = this.#acl.user(username);
    if (hash === undefined || principal === undefined) {
      // Pay a scrypt anyway, so response time does not tell which user names exist.
      this.#decoyVerify(password).finally(() => refuse(BAD_USERNAME_OR_PASSWORD, 'unknown_user', username));
      return;
    }
    this.#cache.verify(username, password, hash).then(
      (ok) => {
        if (!ok) return refuse(BAD_USERNAME_OR_PASSWORD, 'bad_password', username);
        this.#principals.set(client, principal);
        done(null, true);
      },
      (err: unknown) => refuse(SERVER_UNAVAILABLE, 'bad_hash', username, err),
    );
  };

  readonly authorizePublish: Hook<'authorizePublish'> = (client, packet, done) => {
    const principal = client ? this.#principals.get(client) : undefined;
    // A will published for a client that is long gone has no principal: nobody to vouch for it.
    if (!client || !principal) {
      this.#o.metrics.publishesDenied.labels('unauthenticated').inc();
      return done(codedError('ERR_AUTH_TOPIC_DENIED', [client?.id ?? 'an unknown client', packet.topic]));
    }
    const decision = this.#acl.checkPublish(principal, packet.topic, whoIs(client, principal));
    if (!decision.ok) {
      this.#o.metrics.publishesDenied.labels(decision.reason).inc();
      this.#o.log.warn({ clientId: client.id, topic: packet.topic, code: decision.error.code }, 'publish denied; disconnecting the client');
      // MQTT 3.1.1 has no negative PUBACK: an error here makes aedes close the connection.
      return done(decision.error);
    }
    // Nobody can subscribe here, so a retained copy per topic would be memory kept for no reader.
    packet.retain = false;
    done(null);
  };

  readonly authorizeSubscribe: Hook<'authorizeSubscribe'> = (client, subscription, done) => {
    const principal = this.#principals.get(client);
    const err = this.#acl.checkSubscribe(principal ?? { kind: 'anonymous' }, subscription.topic, principal ? whoIs(client, principal) : client.id);
    this.#o.metrics.subscribesDenied.inc();
    this.#o.log.info({ clientId: client.id, topic: subscription.topic, code: err.code }, 'subscription refused');
    // MQTT 3.1.1 §3.9.3: SUBACK return code 0x80 (failure). The client stays connected and may publish.
    done(null, null);
  };

  #decoyVerify(password: Buffer): Promise<unknown> {
    this.#decoy ??= hashPassword(randomBytes(16));
    return this.#decoy.then((decoy) => verifyPassword(password, decoy)).catch(() => false);
  }
}

function whoIs(client: Client, principal: Principal): string {
  return principal.kind === 'user' ? principal.username : `anonymous/${client.id}`;
}

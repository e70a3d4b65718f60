// The embedded broker's authentication and authorisation for gateways: CONNECT with username =
// gateway id and password = its token, checked against gateways.<id>.tokenHash (scrypt, with the
// verified-credentials cache so a fleet reconnecting does not pay scrypt per gateway); every
// PUBLISH and SUBSCRIBE against gateway-acl.ts. A client id belongs to the first gateway that
// used it, so no gateway can take over another's session (and its acks) by reusing its client id.

import { randomBytes } from 'node:crypto';
import type { AedesOptions, AuthenticateError, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { assertValidHash, hashPassword, VerifiedCredentials, verifyPassword } from '../../edge/auth/password.js';
import { codedError } from '../../edge/errors/catalogue.js';
import type { AuthFailureReason, BrokerMetrics } from '../../edge/source/mqtt-broker/metrics.js';
import type { CloudConfig } from '../config/schema.js';
import { mayPublish, maySubscribe } from './gateway-acl.js';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
type ReturnCode = typeof SERVER_UNAVAILABLE | typeof BAD_USERNAME_OR_PASSWORD | typeof NOT_AUTHORIZED;
type Hook<K extends keyof AedesOptions> = NonNullable<AedesOptions[K]>;
type Done = (error?: Error | null) => void;

/** Client ids remembered with their gateway at most (the oldest are forgotten beyond it). */
const MAX_CLIENT_IDS = 100_000;

export interface GatewayAuthOptions {
  readonly gateways: CloudConfig['gateways'];
  readonly metrics: Pick<BrokerMetrics, 'authFailures' | 'publishesDenied' | 'subscribesDenied'>;
  readonly log: Logger;
  /** An authorised PUBLISH from `gateway`: call `done` once it is handled (the PUBACK waits for it). */
  readonly onPublish: (packet: PublishPacket, gateway: string, done: Done) => void;
}

export class GatewayAuth {
  readonly #o: GatewayAuthOptions;
  readonly #hashes = new Map<string, string>();
  readonly #cache = new VerifiedCredentials();
  readonly #principals = new WeakMap<Client, string>();
  readonly #clientIds = new Map<string, string>();
  #decoy: Promise<string> | undefined;

  /** Throws ERR_AUTH_BAD_HASH for a gateway whose hash cannot be verified, so it fails at start-up. */
  constructor(options: GatewayAuthOptions) {
    this.#o = options;
    for (const [id, g] of Object.entries(options.gateways)) {
      if (g.tokenHash === undefined) continue;
      assertValidHash(g.tokenHash, id);
      this.#hashes.set(id, g.tokenHash);
    }
  }

  /** Wills are dropped: a gateway has no use for one, and it would be published in no one's name. */
  readonly preConnect: Hook<'preConnect'> = (_client, packet, done) => {
    delete (packet as { will?: unknown }).will;
    done(null, true);
  };

  readonly authenticate: Hook<'authenticate'> = (client, username, password, done) => {
    const refuse = (code: ReturnCode, reason: AuthFailureReason, who: string, cause?: unknown): void => {
      this.#o.metrics.authFailures.labels(reason).inc();
      this.#o.log.warn({ clientId: client.id, gateway: who, reason }, 'gateway refused at CONNECT');
      done(Object.assign(codedError('ERR_AUTH_BAD_CREDENTIALS', [who], { cause }), { returnCode: code }) as AuthenticateError, false);
    };
    // MQTT 3.1.1 §3.1.2.9: no user name means no credentials; nobody connects anonymously here.
    if (username === undefined || password === undefined) return refuse(NOT_AUTHORIZED, 'missing_credentials', username ?? 'an anonymous client');
    const hash = this.#hashes.get(username);
    if (hash === undefined) {
      // Pay a scrypt anyway, so response time does not tell which gateway ids exist.
      this.#decoyVerify(password).finally(() => refuse(BAD_USERNAME_OR_PASSWORD, 'unknown_user', username));
      return;
    }
    this.#cache.verify(username, password, hash).then(
      (ok) => {
        if (!ok) return refuse(BAD_USERNAME_OR_PASSWORD, 'bad_password', username);
        const owner = this.#clientIds.get(client.id);
        if (owner !== undefined && owner !== username) return refuse(NOT_AUTHORIZED, 'client_id_taken', `${username} (client id ${client.id} belongs to another gateway)`);
        this.#clientIds.delete(client.id);
        this.#clientIds.set(client.id, username);
        if (this.#clientIds.size > MAX_CLIENT_IDS) this.#clientIds.delete(this.#clientIds.keys().next().value!);
        this.#principals.set(client, username);
        done(null, true);
      },
      (err: unknown) => refuse(SERVER_UNAVAILABLE, 'bad_hash', username, err),
    );
  };

  readonly authorizePublish: Hook<'authorizePublish'> = (client, packet, done) => {
    const gateway = client ? this.#principals.get(client) : undefined;
    if (!client || gateway === undefined) {
      this.#o.metrics.publishesDenied.labels('unauthenticated').inc();
      return done(codedError('ERR_AUTH_TOPIC_DENIED', [client?.id ?? 'an unknown client', packet.topic]));
    }
    const decision = mayPublish(gateway, packet.topic);
    if (!decision.ok) {
      this.#o.metrics.publishesDenied.labels(decision.reason).inc();
      this.#o.log.warn({ clientId: client.id, gateway, topic: packet.topic, reason: decision.reason }, 'publish denied; disconnecting the gateway');
      // MQTT 3.1.1 has no negative PUBACK: an error here makes aedes close the connection.
      return done(codedError('ERR_AUTH_TOPIC_DENIED', [gateway, packet.topic]));
    }
    // Nobody reads up topics back from the broker: a retained copy would be memory kept for no one.
    packet.retain = false;
    this.#o.onPublish(packet, gateway, done);
  };

  readonly authorizeSubscribe: Hook<'authorizeSubscribe'> = (client, subscription, done) => {
    const gateway = this.#principals.get(client);
    if (gateway !== undefined && maySubscribe(gateway, subscription.topic)) return done(null, subscription);
    this.#o.metrics.subscribesDenied.inc();
    this.#o.log.info({ clientId: client.id, gateway, topic: subscription.topic }, 'subscription refused');
    // MQTT 3.1.1 §3.9.3: SUBACK return code 0x80 (failure); the client stays connected.
    done(null, null);
  };

  #decoyVerify(password: Buffer): Promise<unknown> {
    this.#decoy ??= hashPassword(randomBytes(16));
    return this.#decoy.then((decoy) => verifyPassword(password, decoy)).catch(() => false);
  }
}

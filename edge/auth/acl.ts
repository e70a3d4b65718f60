// Who may publish where on the embedded broker. A user publishes only to `<topicPrefix>/<device>`
// for its own devices; an anonymous client (only when auth.allowAnonymous) to any single level
// under the prefix; nobody subscribes, because this broker is an ingest endpoint, not a bus.

import type { EdgeConfig } from '../config/schema.js';
import { codedError, type TributaryError } from '../errors/catalogue.js';

/** Who a connected client is, settled once at CONNECT. */
export type Principal =
  | { readonly kind: 'user'; readonly username: string; readonly devices: ReadonlySet<string> }
  | { readonly kind: 'anonymous' };

/** Why a publish was refused (a metric label). */
export type PublishDenyReason = 'bad_topic' | 'other_device';

export type PublishDecision =
  | { readonly ok: true; readonly device: string }
  | { readonly ok: false; readonly reason: PublishDenyReason; readonly error: TributaryError };

const PREFIX_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

export class Acl {
  /** Whether clients without credentials may connect (auth.allowAnonymous). */
  readonly allowAnonymous: boolean;
  readonly #prefix: string;
  readonly #users = new Map<string, Principal>();

  constructor(
    topicPrefix: string,
    auth: Pick<EdgeConfig['auth'], 'users' | 'allowAnonymous'>,
  ) {
    // The schema enforces this too; here it guarantees no prefix can start with `$` or hold wildcards.
    if (!PREFIX_PATTERN.test(topicPrefix)) throw new TypeError(`topicPrefix ${JSON.stringify(topicPrefix)} is not a plain topic`);
    this.#prefix = `${topicPrefix}/`;
    this.allowAnonymous = auth.allowAnonymous;
    for (const [username, user] of Object.entries(auth.users)) {
      this.#users.set(username, Object.freeze({ kind: 'user', username, devices: new Set(user.devices ?? [username]) }));
    }
  }

  /** The principal for a configured user, or undefined for an unknown username. */
  user(username: string): Principal | undefined {
    return this.#users.get(username);
  }

  /** The anonymous principal, or undefined when anonymous clients are not allowed. */
  anonymous(): Principal | undefined {
    return this.allowAnonymous ? ANONYMOUS : undefined;
  }

  /** May `principal` publish to `topic`? `who` names the client in the error. */
  checkPublish(principal: Principal, topic: string, who: string): PublishDecision {
    const device = this.#deviceOf(topic);
    if (device === undefined) return deny('bad_topic', who, topic);
    if (principal.kind === 'user' && !principal.devices.has(device)) return deny('other_device', who, topic);
    return { ok: true, device };
  }

  /** Subscriptions are always refused: nothing on this broker is meant to be read back. */
  checkSubscribe(_principal: Principal, filter: string, who: string): TributaryError {
    return codedError('ERR_AUTH_SUBSCRIBE_DENIED', [who, filter]);
  }

  /** The single level after the prefix, or undefined when the topic is not `<prefix>/<level>`. */
  #deviceOf(topic: string): string | undefined {
    // MQTT 3.1.1 §4.7.2: `$` topics belong to the server; the prefix pattern cannot start with `$`,
    // but refuse them explicitly so the rule does not hang on that.
    if (topic.charCodeAt(0) === 0x24 || !topic.startsWith(this.#prefix)) return undefined;
    const device = topic.slice(this.#prefix.length);
    if (device.length === 0 || device.includes('/')) return undefined;
    // MQTT 3.1.1 §3.3.2.1: wildcards never appear in a topic name (the broker parser checks too).
    if (device.includes('+') || device.includes('#')) return undefined;
    return device;
  }
}

function deny(reason: PublishDenyReason, who: string, topic: string): PublishDecision {
  return { ok: false, reason, error: codedError('ERR_AUTH_TOPIC_DENIED', [who, topic]) };
}

// The topic ACL as a table: who may publish to which topic, and why not; subscriptions refused.

import { describe, expect, it } from 'vitest';
import { Acl, type Principal } from '../../edge/auth/acl.js';

const users = {
  'pump-7': { passwordHash: 'scrypt$unused' },
  'line-gw': { passwordHash: 'scrypt$unused', devices: ['press-1', 'press-2'] },
};
const acl = new Acl('sensors', { allowAnonymous: true, users });
const pump7 = acl.user('pump-7')!;
const lineGw = acl.user('line-gw')!;
const anonymous = acl.anonymous()!;

describe('Acl.checkPublish', () => {
  const table: Array<[string, Principal, string, string | { deny: 'bad_topic' | 'other_device' }]> = [
    ['a user to its own topic', pump7, 'sensors/pump-7', 'pump-7'],
    ['a user to another device', pump7, 'sensors/pump-8', { deny: 'other_device' }],
    ['a user to a device it lists', lineGw, 'sensors/press-2', 'press-2'],
    ['a user with a device list to its own name', lineGw, 'sensors/line-gw', { deny: 'other_device' }],
    ['a user below its own topic', pump7, 'sensors/pump-7/extra', { deny: 'bad_topic' }],
    ['a user outside the prefix', pump7, 'other/pump-7', { deny: 'bad_topic' }],
    ['a user to a look-alike prefix', pump7, 'sensorsX/pump-7', { deny: 'bad_topic' }],
    ['anonymous to any single level', anonymous, 'sensors/anything at all!', 'anything at all!'],
    ['anonymous two levels down', anonymous, 'sensors/a/b', { deny: 'bad_topic' }],
    ['anonymous to the prefix itself', anonymous, 'sensors', { deny: 'bad_topic' }],
    ['anonymous to an empty level', anonymous, 'sensors/', { deny: 'bad_topic' }],
    ['anonymous with a + wildcard', anonymous, 'sensors/+', { deny: 'bad_topic' }],
    ['anonymous with a # wildcard', anonymous, 'sensors/#', { deny: 'bad_topic' }],
    ['anonymous to $SYS', anonymous, '$SYS/broker/x', { deny: 'bad_topic' }],
    ['anonymous to the empty topic', anonymous, '', { deny: 'bad_topic' }],
  ];

  it.each(table)('%s', (_what, principal, topic, expected) => {
    const decision = acl.checkPublish(principal, topic, 'who');
    if (typeof expected === 'string') {
      expect(decision).toEqual({ ok: true, device: expected });
    } else {
      expect(decision).toMatchObject({ ok: false, reason: expected.deny, error: { code: 'ERR_AUTH_TOPIC_DENIED' } });
      if (!decision.ok) expect(decision.error.message).toBe(`client who may not publish to ${topic}`);
    }
  });

  it('works under a multi-level prefix', () => {
    const site = new Acl('site-4/line-2', { allowAnonymous: false, users });
    expect(site.checkPublish(site.user('pump-7')!, 'site-4/line-2/pump-7', 'pump-7')).toEqual({ ok: true, device: 'pump-7' });
    expect(site.checkPublish(site.user('pump-7')!, 'site-4/pump-7', 'pump-7')).toMatchObject({ ok: false, reason: 'bad_topic' });
  });
});

describe('Acl principals and subscriptions', () => {
  it('has no anonymous principal unless auth.allowAnonymous', () => {
    expect(new Acl('sensors', { allowAnonymous: false, users }).anonymous()).toBeUndefined();
    expect(acl.anonymous()).toEqual({ kind: 'anonymous' });
  });

  it('knows only configured users, whatever Object.prototype holds', () => {
    expect(acl.user('nobody')).toBeUndefined();
    expect(acl.user('constructor')).toBeUndefined();
    expect(acl.user('__proto__')).toBeUndefined();
    expect(pump7).toMatchObject({ kind: 'user', username: 'pump-7', devices: new Set(['pump-7']) });
  });

  it('refuses every subscription, to anyone', () => {
    for (const principal of [pump7, lineGw, anonymous]) {
      for (const filter of ['sensors/+', 'sensors/pump-7', '#', '$SYS/#']) {
        expect(acl.checkSubscribe(principal, filter, 'who')).toMatchObject({ code: 'ERR_AUTH_SUBSCRIBE_DENIED', message: `client who may not subscribe to ${filter}` });
      }
    }
  });

  it('throws TypeError for a prefix that is not a plain topic', () => {
    for (const prefix of ['', '$SYS', 'a/+', 'a/#', 'trailing/', '/leading']) {
      expect(() => new Acl(prefix, { allowAnonymous: false, users: {} }), prefix).toThrow(TypeError);
    }
  });
});

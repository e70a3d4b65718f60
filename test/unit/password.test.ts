// scrypt password hashes: the format, verification, malformed hashes, the verified-credentials
// cache (counting real scrypt calls), and the `edge hash-password` command.

import * as crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { hashPasswordCommand } from '../../edge/auth/hash-password-command.js';
import { assertValidHash, hashPassword, VerifiedCredentials, verifyPassword } from '../../edge/auth/password.js';

// Wrap scrypt so the cache tests can count how often the real thing ran.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, scrypt: vi.fn(real.scrypt) };
});
const scryptCalls = () => vi.mocked(crypto.scrypt).mock.calls.length;

const cheap = { logN: 8 };

describe('hashPassword / verifyPassword', () => {
  it('writes scrypt$logN$r$p$salt$hash with the default cost 2^14, r 8, p 1', async () => {
    const hash = await hashPassword('hunter2');
    expect(hash).toMatch(/^scrypt\$14\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword('hunter2', hash)).toBe(true);
  });

  it('verifies the right password only, from a string or bytes', async () => {
    const hash = await hashPassword('s3cret', cheap);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('s3cret'), hash)).toBe(true);
    expect(await verifyPassword('s3cret ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)]);
    expect(a).not.toBe(b);
  });

  it('keeps the cost recorded in the hash', async () => {
    const hash = await hashPassword('pw', { logN: 9, r: 4, p: 2 });
    expect(hash.startsWith('scrypt$9$4$2$')).toBe(true);
    expect(await verifyPassword('pw', hash)).toBe(true);
  });

  it('throws TypeError for impossible options (a programmer mistake)', async () => {
    await expect(hashPassword('pw', { logN: 0 })).rejects.toThrow(TypeError);
    await expect(hashPassword('pw', { r: 1.5 })).rejects.toThrow(TypeError);
    await expect(hashPassword('pw', { logN: 24, r: 32 })).rejects.toThrow(/MiB/);
  });

  const good = 'scrypt$8$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
  it.each([
    ['another algorithm', 'bcrypt$2b$10$abcdefghijklmnopqrstuv'],
    ['too few fields', 'scrypt$8$8$1$c2FsdA=='],
    ['a non-numeric cost', good.replace('$8$8$', '$x$8$')],
    ['a cost past 256 MiB', good.replace('scrypt$8$8$', 'scrypt$22$8$')],
    ['a zero block size', good.replace('$8$8$1$', '$8$0$1$')],
    ['a salt that is not base64', good.replace('c2FsdHNhbHRzYWx0c2FsdA==', 'not base64!')],
    ['a short salt', good.replace('c2FsdHNhbHRzYWx0c2FsdA==', 'c2FsdA==')],
    ['a short hash', good.replace(/\$[^$]+$/, '$aGFzaA==')],
    ['the password itself', 'hunter2'],
  ])('refuses %s with ERR_AUTH_BAD_HASH', async (_what, hash) => {
    expect(() => assertValidHash(good, 'u')).not.toThrow();
    expect(() => assertValidHash(hash, 'pump-7')).toThrow(expect.objectContaining({ code: 'ERR_AUTH_BAD_HASH', message: expect.stringContaining('pump-7') }));
    await expect(verifyPassword('pw', hash)).rejects.toMatchObject({ code: 'ERR_AUTH_BAD_HASH' });
  });
});

describe('VerifiedCredentials', () => {
  it('skips scrypt for a repeat of a verified password, and only then', async () => {
    const hash = await hashPassword('pw', cheap);
    const cache = new VerifiedCredentials();
    let before = scryptCalls();
    expect(await cache.verify('pump-7', 'pw', hash)).toBe(true);
    expect(scryptCalls() - before).toBe(1);

    before = scryptCalls();
    expect(await cache.verify('pump-7', 'pw', hash)).toBe(true);
    expect(scryptCalls() - before).toBe(0);

    // A wrong password for a cached user still pays the full scrypt: guessing is no cheaper.
    before = scryptCalls();
    expect(await cache.verify('pump-7', 'nope', hash)).toBe(false);
    expect(scryptCalls() - before).toBe(1);

    // A changed hash (new password in the config) is verified again, and the old password fails.
    const rotated = await hashPassword('pw2', cheap);
    before = scryptCalls();
    expect(await cache.verify('pump-7', 'pw', rotated)).toBe(false);
    expect(await cache.verify('pump-7', 'pw2', rotated)).toBe(true);
    expect(scryptCalls() - before).toBe(2);
  });

  it('does not let one user\'s cached password stand in for another\'s', async () => {
    const hash = await hashPassword('shared', cheap);
    const cache = new VerifiedCredentials();
    await cache.verify('a', 'shared', hash);
    const before = scryptCalls();
    expect(await cache.verify('b', 'shared', hash)).toBe(true);
    expect(scryptCalls() - before).toBe(1);
  });

  it('holds at most maxEntries users, evicting the least recently used', async () => {
    const hash = await hashPassword('pw', cheap);
    const cache = new VerifiedCredentials(2);
    await cache.verify('a', 'pw', hash);
    await cache.verify('b', 'pw', hash);
    await cache.verify('a', 'pw', hash); // a is now the most recent
    await cache.verify('c', 'pw', hash); // evicts b
    expect(cache.size).toBe(2);
    let before = scryptCalls();
    await cache.verify('a', 'pw', hash);
    expect(scryptCalls() - before).toBe(0);
    before = scryptCalls();
    await cache.verify('b', 'pw', hash);
    expect(scryptCalls() - before).toBe(1);
    expect(() => new VerifiedCredentials(0)).toThrow(TypeError);
  });
});

describe('tributary edge hash-password', () => {
  function io(input?: string) {
    const stdin = new PassThrough();
    if (input !== undefined) stdin.end(input);
    const out = { stdout: '', stderr: '' };
    const sink = (key: keyof typeof out) => new PassThrough().on('data', (c: Buffer) => (out[key] += c.toString()));
    return { io: { stdin, stdout: sink('stdout'), stderr: sink('stderr') }, out };
  }

  it('prints the hash of the first line on stdin', async () => {
    const { io: streams, out } = io('correct horse\nignored second line\n');
    expect(await hashPasswordCommand(['--password-stdin'], streams)).toBe(0);
    const hash = out.stdout.trim();
    expect(hash).toMatch(/^scrypt\$14\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(out.stdout).not.toContain('correct horse');
  });

  it('accepts input without a trailing newline or with CRLF', async () => {
    const { io: streams, out } = io('pw\r\n');
    expect(await hashPasswordCommand([], streams)).toBe(0);
    expect(await verifyPassword('pw', out.stdout.trim())).toBe(true);
  });

  it('prints usage for --help', async () => {
    const { io: streams, out } = io();
    expect(await hashPasswordCommand(['--help'], streams)).toBe(0);
    expect(out.stdout).toMatch(/^Usage:\n {2}tributary edge hash-password/);
  });

  it.each([
    ['an empty stdin', [], ''],
    ['an empty line', [], '\n'],
    ['an unknown option', ['--password', 'pw'], 'pw\n'],
    ['a positional password', ['pw'], ''],
  ])('refuses %s with ERR_CLI_USAGE', async (_what, argv, input) => {
    const { io: streams } = io(input);
    await expect(hashPasswordCommand(argv, streams)).rejects.toMatchObject({ code: 'ERR_CLI_USAGE' });
  });
});

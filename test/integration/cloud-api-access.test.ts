// Access control of the cloud API over real HTTP, driven by the table of every registered route:
// each route refuses a request without credentials (401) and one whose principal is below the
// route's level (403), and lets a sufficient one through. Public routes are pinned by name, so a
// new route is either given a level or knowingly added to that list. Also: login, cookies and
// their origin check, logout, session expiry, Basic for scrapers and gateways, the login throttle,
// and that no secret reaches the log.

import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../cloud/api/access.js';
import { CloudApi } from '../../cloud/api/api.js';
import { PushService } from '../../cloud/push/service.js';
import { Authenticator } from '../../cloud/api/authenticate.js';
import { installGuard, type RouteEntry } from '../../cloud/api/guard.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { Registry } from '../../edge/observe/metrics.js';
import { cloudFixture, credentialsConfig, GATEWAYS, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { call, statusOnly, type CallOptions } from '../helpers/http-client.js';
import { cloudConfigFrom } from '../helpers/cloud-context.js';
import { errorOf } from '../helpers/errors.js';
import { hasOpenssl, selfSignedCert } from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';

// The intended level of every route. A new route fails the first case until it is added here, so
// its level (public above all) is a decision someone wrote down, not a default.
const EXPECTED_ACCESS: Record<string, Access> = {
  'GET /': 'public',
  'GET /*': 'public',
  'GET /vendor/:file': 'public',
  'GET /healthz': 'public',
  'POST /api/login': 'public',
  'POST /api/logout': 'viewer',
  'GET /api/me': 'viewer',
  'GET /api/gateway/self': 'gateway',
  'GET /api/gateways': 'viewer',
  'GET /api/gateways/:id': 'viewer',
  'GET /api/devices': 'viewer',
  'GET /api/devices/:id': 'viewer',
  'GET /api/series': 'viewer',
  'GET /api/summaries': 'viewer',
  'GET /api/alerts': 'viewer',
  'GET /api/alerts/:id': 'viewer',
  'GET /api/alerts/:id/raw': 'viewer',
  'POST /api/alerts/:id/acknowledge': 'operator',
  'POST /api/alerts/:id/resolve': 'operator',
  'GET /api/stream': 'viewer',
  'GET /api/dead-letters': 'admin',
  'GET /metrics': 'admin',
  'GET /api/push': 'viewer',
  'GET /api/push/gateways/:id': 'viewer',
  'PUT /api/push/:target/config': 'admin',
  'DELETE /api/push/:target/config': 'admin',
  'PUT /api/push/:target/models/:name': 'admin',
  'DELETE /api/push/:target/models/:name': 'admin',
};

const clock = new FakeClock(Date.UTC(2024, 10, 24, 12));
let fx: CloudFixture;
let api: CloudApi;
let base: string;
const tokens: Record<keyof typeof PEOPLE, string> = { vera: '', otto: '', ada: '' };

const login = async (name: keyof typeof PEOPLE) => {
  const r = await call(base, '/api/login', { method: 'POST', body: { username: name, password: PEOPLE[name].password } });
  expect(r.status).toBe(200);
  return r.json.token as string;
};

beforeAll(async () => {
  fx = await cloudFixture({ clock });
  // Push routes come with a push service; this one's publisher goes nowhere.
  api = new CloudApi(fx.ctx, { push: new PushService(fx.ctx, { publish: async () => {} }) });
  await api.open();
  base = `http://127.0.0.1:${api.port}`;
  for (const name of Object.keys(tokens) as Array<keyof typeof PEOPLE>) tokens[name] = await login(name);
});

afterAll(async () => {
  await api?.close();
  await fx?.[Symbol.asyncDispose]();
});

/** A concrete path for a route pattern. */
const pathOf = (url: string) => url.replace(':id', '0123456789abcdef0123456789abcdef').replace(':target', 'fleet').replace(':name', 'motor').replace('*', 'some/file.txt');

/** Credentials just below each level, and just enough for it. */
const below: Record<Exclude<Access, 'public'>, () => CallOptions> = {
  viewer: () => ({ basic: ['gw-1', GATEWAYS['gw-1']] }),
  operator: () => ({ token: tokens.vera }),
  admin: () => ({ token: tokens.otto }),
  gateway: () => ({ token: tokens.ada }),
};
// Fresh sessions: one route (logout) ends the session it is called with.
const enough: Record<Exclude<Access, 'public'>, () => Promise<CallOptions>> = {
  viewer: async () => ({ token: await login('vera') }),
  operator: async () => ({ token: await login('otto') }),
  admin: async () => ({ token: await login('ada') }),
  gateway: async () => ({ basic: ['gw-2', GATEWAYS['gw-2']] }),
};

describe('cloud API access, route by route', () => {
  it('registers exactly the expected routes, each at its intended level', () => {
    const table = Object.fromEntries(api.routes.map((r) => [`${r.method} ${r.url}`, r.access]));
    expect(Object.keys(table)).toHaveLength(api.routes.length);
    expect(table).toEqual(EXPECTED_ACCESS);
  });

  it('each non-public route answers 401 without credentials, 403 below its level, and lets its level through', async () => {
    const guarded = api.routes.filter((r): r is RouteEntry & { access: Exclude<Access, 'public'> } => r.access !== 'public');
    const seen: string[] = [];
    for (const r of guarded) {
      const path = pathOf(r.url);
      const body = r.method === 'POST' || r.method === 'PUT' ? { body: {} } : {};
      const none = await call(base, path, { method: r.method, ...body });
      expect(none.status, `${r.method} ${r.url} without credentials`).toBe(401);
      expect(none.json.code).toBe('ERR_API_UNAUTHENTICATED');
      expect(none.headers.get('www-authenticate')).toBeNull();
      const low = await call(base, path, { method: r.method, ...body, ...below[r.access]() });
      expect(low.status, `${r.method} ${r.url} below ${r.access}`).toBe(403);
      expect(low.json.code).toBe('ERR_API_FORBIDDEN');
      const ok = await statusOnly(base, path, { method: r.method, ...body, ...(await enough[r.access]()) });
      expect([401, 403], `${r.method} ${r.url} at ${r.access}`).not.toContain(ok);
      seen.push(`${r.method} ${r.url}`);
    }
    expect(seen).toContain('GET /api/dead-letters');
    expect(seen).toContain('POST /api/alerts/:id/acknowledge');
    expect(seen).toContain('GET /api/gateway/self');
    expect(seen).toContain('PUT /api/push/:target/models/:name');
  });

  it('refuses at start a malformed hash, and a name that is both a user and a gateway', async () => {
    const creds = await credentialsConfig();
    const bad = cloudConfigFrom({ cloud: { id: 't' }, ...creds, users: { ...creds.users, eve: { passwordHash: 'scrypt$not-a-hash', role: 'viewer' } } });
    expect(errorOf(() => new Authenticator(bad, clock))).toMatchObject({ code: 'ERR_AUTH_BAD_HASH', message: expect.stringContaining('users.eve') });
    const both = cloudConfigFrom({ cloud: { id: 't' }, ...creds, users: { ...creds.users, 'gw-1': creds.users.vera! } });
    expect(errorOf(() => new Authenticator(both, clock))).toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('users.gw-1: gw-1 is also a gateway id') });
  });

  it('a route added without an access level stops the API from starting', async () => {
    const app = Fastify();
    const auth = new Authenticator(cloudConfigFrom({ cloud: { id: 't' }, ...(await credentialsConfig()) }), clock);
    installGuard(app, auth, new Registry());
    expect(() => app.get('/api/forgotten', async () => ({}))).toThrow(/declares no access level/);
    await app.close();
  });
});

describe('logging in', () => {
  it('answers a token and sets an HttpOnly SameSite=Strict cookie that authenticates the dashboard', async () => {
    const r = await call(base, '/api/login', { method: 'POST', body: { username: 'vera', password: PEOPLE.vera.password } });
    expect(r.json).toMatchObject({ user: 'vera', role: 'viewer', expiresAt: clock.now() + fx.ctx.config.http.sessionTtlMs });
    expect(r.json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toContain(`tributary_session=${r.json.token}`);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect((await call(base, '/api/me', { cookie })).json).toEqual({ user: 'vera', role: 'viewer', via: 'cookie' });
  });

  it('refuses a wrong password and an unknown user alike, and a gateway token at the people\'s login', async () => {
    for (const [username, password] of [['vera', 'nope'], ['nobody', 'x'], ['gw-1', GATEWAYS['gw-1']]] as const) {
      const r = await call(base, '/api/login', { method: 'POST', body: { username, password } });
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: 'ERR_API_LOGIN_FAILED', message: 'bad username or password' });
    }
  });

  it('refuses a cookie-authenticated change from another origin, and accepts it from the same one', async () => {
    const cookie = `tributary_session=${await login('otto')}`;
    const foreign = await call(base, '/api/logout', { method: 'POST', cookie, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json.code).toBe('ERR_API_CROSS_ORIGIN');
    const same = await call(base, '/api/logout', { method: 'POST', cookie, headers: { origin: base } });
    expect(same.status).toBe(200);
    expect(same.json).toEqual({ ended: true });
  });

  it('logout ends the session; an expired session is refused', async () => {
    const token = await login('vera');
    expect((await call(base, '/api/logout', { method: 'POST', token })).json).toEqual({ ended: true });
    expect((await call(base, '/api/me', { token })).status).toBe(401);
    const later = await login('vera');
    clock.advance(fx.ctx.config.http.sessionTtlMs);
    const expired = await call(base, '/api/me', { token: later });
    expect(expired.status).toBe(401);
    expect(expired.json.message).toMatch(/unknown or has expired/);
    // The sessions of this file's other cases were started before: log them in again.
    for (const name of Object.keys(tokens) as Array<keyof typeof PEOPLE>) tokens[name] = await login(name);
  });

  it('takes Basic credentials from a scraper (admin) and from a gateway, and refuses wrong ones', async () => {
    const metrics = await call(base, '/metrics', { basic: ['ada', PEOPLE.ada.password] });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toMatch(/tributary_cloud_api_auth_failures_total\{reason="missing"\} [1-9]/);
    const self = await call(base, '/api/gateway/self', { basic: ['gw-1', GATEWAYS['gw-1']] });
    expect(self.status).toBe(200);
    expect(self.json.gateway).toMatchObject({ id: 'gw-1', configured: true, lastSeen: null, online: false });
    expect((await call(base, '/api/gateway/self', { basic: ['gw-1', 'wrong'] })).json.code).toBe('ERR_API_LOGIN_FAILED');
    expect((await call(base, '/api/me', { headers: { authorization: 'Digest x' } })).json.code).toBe('ERR_API_UNAUTHENTICATED');
  });

  it('throttles an address after repeated failures, even for the right password, until its window ends', async () => {
    await using strict = await cloudFixture({ clock });
    const throttled = new CloudApi(strict.ctx, { auth: { throttle: { maxFailures: 3, windowMs: 60_000 } } });
    await throttled.open();
    try {
      const at = `http://127.0.0.1:${throttled.port}`;
      const attempt = (password: string) => call(at, '/api/login', { method: 'POST', body: { username: 'ada', password } });
      for (let i = 0; i < 3; i++) expect((await attempt('guess')).status).toBe(401);
      const blocked = await attempt(PEOPLE.ada.password);
      expect(blocked.status).toBe(429);
      expect(blocked.json).toMatchObject({ code: 'ERR_API_TOO_MANY_ATTEMPTS', retryable: true });
      expect((await call(at, '/metrics', { basic: ['ada', PEOPLE.ada.password] })).status).toBe(429);
      clock.advance(60_000);
      expect((await attempt(PEOPLE.ada.password)).status).toBe(200);
    } finally {
      await throttled.close();
    }
  });

  it('never writes a password, token or hash to the log', async () => {
    await call(base, '/api/me', { token: 'not-a-real-session-token-but-a-secret' });
    const text = fx.logLines.join('\n');
    expect(text).toContain('user logged in');
    const secrets = [...Object.values(PEOPLE).map((p) => p.password), ...Object.values(GATEWAYS), ...Object.values(tokens), 'not-a-real-session-token-but-a-secret'];
    const hashes = await credentialsConfig();
    secrets.push(...Object.values(hashes.users).map((u) => u.passwordHash), ...Object.values(hashes.gateways).map((g) => g.tokenHash));
    for (const s of secrets) expect(text).not.toContain(s);
  });
});

describe.skipIf(!hasOpenssl)('over TLS (http.tls)', () => {
  it('serves HTTPS and marks the session cookie Secure', async () => {
    using certs = tempDir();
    const tls = selfSignedCert(certs.path);
    await using secure = await cloudFixture({ clock, config: { http: { port: 0, tls } } });
    const tlsApi = new CloudApi(secure.ctx);
    await tlsApi.open();
    try {
      const answer = await new Promise<{ status: number; cookie: string; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port: tlsApi.port, path: '/api/login', method: 'POST', ca: readFileSync(tls.certFile), headers: { 'content-type': 'application/json' } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie']), body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ username: 'vera', password: PEOPLE.vera.password }));
      });
      expect(answer.status).toBe(200);
      expect(answer.cookie).toMatch(/; Secure$/);
      expect(JSON.parse(answer.body)).toMatchObject({ user: 'vera' });
    } finally {
      await tlsApi.close();
    }
  });
});

// The one place access is checked: every route must declare its access level when it is added
// (a route without one stops the API from starting), and one onRequest hook authenticates the
// caller and compares. Fails closed: a request whose route somehow has no level is refused.
//
// Cookie sessions also pass an origin check on requests that change something: SameSite=Strict
// already keeps other sites' pages from sending the cookie; the check is a second lock for old
// browsers and same-site subdomains.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { codedError, TributaryError } from '../../edge/errors/catalogue.js';
import type { Registry } from '../../edge/observe/metrics.js';
import { ACCESS_LEVELS, refusal, type Access } from './access.js';
import type { Authenticator } from './authenticate.js';

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

/** Failure reasons counted in tributary_cloud_api_auth_failures_total. */
export type AuthFailure = 'missing' | 'bad_credentials' | 'forbidden' | 'throttled' | 'cross_origin';

/** Install the checks; returns the table of routes added after this call (filled as they are added). */
export function installGuard(app: FastifyInstance, auth: Authenticator, metrics: Registry): RouteEntry[] {
  const table: RouteEntry[] = [];
  const failures = metrics.counter('tributary_cloud_api_auth_failures_total', 'API requests refused before their handler, by reason (missing, bad_credentials, forbidden, throttled, cross_origin)', ['reason']);
  app.addHook('onRoute', (opts) => {
    const access = opts.config?.access;
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    if (access === undefined || !ACCESS_LEVELS.includes(access)) {
      throw new TypeError(`route ${methods.join(',')} ${opts.url} declares no access level (one of ${ACCESS_LEVELS.join(', ')})`);
    }
    for (const method of methods) table.push({ method, url: opts.url, access });
  });
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    const where = request.routeOptions.url ?? '?';
    if (access === undefined) throw new TypeError(`route ${request.method} ${where} has no access level`);
    if (access === 'public') return;
    const refuse = (reason: AuthFailure, err: unknown): never => {
      failures.labels(reason).inc();
      throw err;
    };
    const principal = await auth
      .principalOf({ authorization: request.headers.authorization, cookie: request.headers.cookie, address: request.ip })
      .catch((err: unknown) => refuse(err instanceof TributaryError && err.code === 'ERR_API_TOO_MANY_ATTEMPTS' ? 'throttled' : 'bad_credentials', err));
    const refused = refusal(access, principal, request.method, where);
    if (refused) refuse(principal ? 'forbidden' : 'missing', refused);
    if (principal?.via === 'cookie' && request.method !== 'GET' && !sameOrigin(request)) {
      refuse('cross_origin', codedError('ERR_API_CROSS_ORIGIN', [request.method, JSON.stringify(String(request.headers.origin).slice(0, 100))]));
    }
    request.principal = principal;
  });
  return table;
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

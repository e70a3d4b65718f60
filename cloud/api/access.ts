// Who may call a route: the access level every route declares (a person's minimum role, `gateway`
// for gateways' own routes, or `public`), who a request turned out to be, and the one decision
// between the two. People's roles are ordered viewer < operator < admin; a gateway is not a person
// and holds no role, so it reaches gateway routes only, and people never reach those.

import { codedError, type TributaryError } from '../../edge/errors/catalogue.js';

export type Role = 'viewer' | 'operator' | 'admin';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** What a route demands. `public` routes are listed in the docs and pinned by the route-table test. */
export type Access = Role | 'gateway' | 'public';

export const ACCESS_LEVELS: readonly Access[] = ['public', 'gateway', ...ROLES];

/** How the caller proved who it is. */
export type Credential = 'bearer' | 'cookie' | 'basic';

export type Principal =
  | { readonly kind: 'user'; readonly name: string; readonly role: Role; readonly via: Credential }
  | { readonly kind: 'gateway'; readonly id: string; readonly via: 'basic' };

const rank = (r: Role): number => ROLES.indexOf(r);

/** Who the caller is in messages and logs: `user alice (viewer)`, `gateway gw-1`. */
export function describePrincipal(p: Principal): string {
  return p.kind === 'user' ? `user ${p.name} (${p.role})` : `gateway ${p.id}`;
}

/**
 * Undefined when `principal` may use a route declaring `access`, else the coded error to answer:
 * ERR_API_UNAUTHENTICATED (401) without a principal, ERR_API_FORBIDDEN (403) when it is not enough.
 */
export function refusal(access: Access, principal: Principal | undefined, method: string, url: string): TributaryError | undefined {
  if (access === 'public') return undefined;
  if (!principal) return codedError('ERR_API_UNAUTHENTICATED', [`${method} ${url} needs ${needs(access)}`]);
  const allowed = access === 'gateway' ? principal.kind === 'gateway' : principal.kind === 'user' && rank(principal.role) >= rank(access);
  return allowed ? undefined : codedError('ERR_API_FORBIDDEN', [describePrincipal(principal), method, url, needs(access)]);
}

function needs(access: Exclude<Access, 'public'>): string {
  return access === 'gateway' ? 'a gateway\'s credentials' : `the ${access} role or higher`;
}

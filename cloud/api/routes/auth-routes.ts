// Logging in and out, who am I, and a gateway's own view of itself. A login answers the session
// token in the body (for scripts: `Authorization: Bearer <token>`) and sets it as an HttpOnly,
// SameSite=Strict cookie (for the dashboard, whose EventSource cannot send headers).

import { Type } from '@sinclair/typebox';
import { describePrincipal } from '../access.js';
import { SESSION_COOKIE } from '../authenticate.js';
import { route, principalOf, type ApiDeps, type ApiRoute } from '../route.js';
import { countOpen, gatewayViews } from '../views.js';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

function cookie(token: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function authRoutes({ ctx, auth, secureCookie }: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'POST',
      url: '/api/login',
      access: 'public',
      summary: 'check a username and password; answers { token, expiresAt, user, role } and sets the session cookie',
      body: LoginBody,
      handler: async ({ body, request, reply }) => {
        const { token, session } = await auth.login(body.username, body.password, request.ip);
        ctx.log.info({ user: session.user, role: session.role }, 'user logged in');
        void reply.header('set-cookie', cookie(token, Math.floor(auth.sessions.ttlMs / 1000), secureCookie));
        return { token, expiresAt: session.expiresAt, user: session.user, role: session.role };
      },
    }),
    route({
      method: 'POST',
      url: '/api/logout',
      access: 'viewer',
      summary: 'end the session the request carries (header or cookie) and clear the cookie',
      handler: ({ request, reply }) => {
        const token = auth.sessionToken({ authorization: request.headers.authorization, cookie: request.headers.cookie, address: request.ip });
        const ended = token !== undefined && auth.sessions.revoke(token);
        void reply.header('set-cookie', cookie('', 0, secureCookie));
        return { ended };
      },
    }),
    route({
      method: 'GET',
      url: '/api/me',
      access: 'viewer',
      summary: 'who the caller is: { user, role, via }',
      handler: (input) => {
        const p = principalOf(input);
        if (p.kind !== 'user') throw new TypeError(`${describePrincipal(p)} reached a people route`);
        return { user: p.name, role: p.role, via: p.via };
      },
    }),
    route({
      method: 'GET',
      url: '/api/gateway/self',
      access: 'gateway',
      summary: 'for a gateway: what the cloud holds about it (last seen, backlog, loss ledger) and its unresolved alerts',
      handler: async (input) => {
        const p = principalOf(input);
        if (p.kind !== 'gateway') throw new TypeError(`${describePrincipal(p)} reached a gateway route`);
        const [records, devices, open] = await Promise.all([ctx.store.gateways(), ctx.store.devices({ gateway: p.id }), ctx.store.alerts({ gateway: p.id, state: ['open', 'acknowledged'] })]);
        const [view] = gatewayViews({ ...ctx.config, gateways: { [p.id]: ctx.config.gateways[p.id]! } }, ctx.clock.now(), records.filter((r) => r.id === p.id), devices, countOpen(open));
        return { gateway: view, alerts: open };
      },
    }),
  ];
}

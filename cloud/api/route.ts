// One way to declare an API route: method, URL, the access it needs (required: see access.ts),
// the TypeBox schemas of its query, params and body (fastify validates them before the handler
// runs), and a handler that gets them typed. Route modules export lists of these; api.ts registers
// them all, so the full table of routes is data a test can walk.

import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CloudContext } from '../service/context.js';
import type { Access, Principal } from './access.js';
import type { Authenticator } from './authenticate.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every route must declare it (checked when routes are added). */
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the access hook for every non-public route. */
    principal?: Principal;
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A named health check another part of the worker reports (the ingest, say). */
export interface HealthCheck {
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

/** What route modules are built from. */
export interface ApiDeps {
  readonly ctx: CloudContext;
  readonly auth: Authenticator;
  /** Mark the session cookie Secure (set when the API serves TLS itself). */
  readonly secureCookie: boolean;
  readonly health: () => Readonly<Record<string, HealthCheck>>;
}

export interface RouteInput<Q, P, B> {
  readonly query: Q;
  readonly params: P;
  readonly body: B;
  /** Present on every route but `public` ones. */
  readonly principal: Principal | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface ApiRoute {
  readonly method: Method;
  readonly url: string;
  readonly access: Access;
  /** One line for the route table in the docs. */
  readonly summary: string;
  readonly schema: { readonly querystring?: TSchema; readonly params?: TSchema; readonly body?: TSchema };
  /** Largest request body for this route (bytes; default the API's bodyLimit). */
  readonly bodyLimit?: number;
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

type In<S> = S extends TSchema ? Static<S> : undefined;

/** Declare a route; what the handler returns is sent as JSON (undefined: it answered itself). */
export function route<Q extends TSchema | undefined = undefined, P extends TSchema | undefined = undefined, B extends TSchema | undefined = undefined>(def: {
  method: Method;
  url: string;
  access: Access;
  summary: string;
  query?: Q;
  params?: P;
  body?: B;
  bodyLimit?: number;
  handler: (input: RouteInput<In<Q>, In<P>, In<B>>) => Promise<unknown> | unknown;
}): ApiRoute {
  return {
    method: def.method,
    url: def.url,
    access: def.access,
    summary: def.summary,
    schema: { ...(def.query ? { querystring: def.query } : {}), ...(def.params ? { params: def.params } : {}), ...(def.body ? { body: def.body } : {}) },
    ...(def.bodyLimit !== undefined ? { bodyLimit: def.bodyLimit } : {}),
    handler: async (request, reply) =>
      def.handler({ query: request.query as In<Q>, params: request.params as In<P>, body: request.body as In<B>, principal: request.principal, request, reply }),
  };
}

/** The principal of a route that is not public (the access hook guarantees it). */
export function principalOf(input: { principal: Principal | undefined }): Principal {
  if (!input.principal) throw new TypeError('a route that is not public ran without a principal');
  return input.principal;
}

export function registerRoutes(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  for (const r of routes) {
    app.route({ method: r.method, url: r.url, schema: r.schema, config: { access: r.access }, handler: r.handler, ...(r.bodyLimit !== undefined ? { bodyLimit: r.bodyLimit } : {}) });
  }
}

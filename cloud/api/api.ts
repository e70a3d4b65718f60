// The cloud's HTTP API as a resource: fastify with every route from the route modules, one access
// hook (guard.ts), coded JSON errors, the live stream and the dashboard's files. open() listens on
// http.host:http.port (TLS when http.tls is set); close() ends live streams, then the server.
//
// The Cloud resource creates it from the shared context: `cloudApi(options)(ctx)`.

import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { readConfiguredFile } from '../../edge/config/read-file.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { CloudContext } from '../service/context.js';
import { Authenticator, type AuthenticatorOptions } from './authenticate.js';
import { errorBody, errorHandler } from './errors.js';
import { installGuard, type RouteEntry } from './guard.js';
import { registerRoutes, type ApiRoute, type HealthCheck } from './route.js';
import { alertRoutes } from './routes/alert-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { dataRoutes } from './routes/data-routes.js';
import { fleetRoutes } from './routes/fleet-routes.js';
import { opsRoutes } from './routes/ops-routes.js';
import { pushRoutes } from './routes/push-routes.js';
import type { PushControl } from '../push/service.js';
import { staticRoutes } from './routes/static-files.js';
import { StreamHub, type StreamOptions } from './stream.js';
import { validatorCompiler } from './validator.js';

export interface CloudApiOptions {
  /** Folder of the dashboard's files (default: cloud/dashboard in the package). */
  readonly dashboardDir?: string;
  /** Checks other parts report for /healthz (e.g. `{ ingest: { ok: true, ... } }`); all must be ok. */
  readonly health?: () => Readonly<Record<string, HealthCheck>>;
  readonly stream?: StreamOptions;
  readonly auth?: AuthenticatorOptions;
  /** Mark the session cookie Secure (default: when http.tls is set; set true behind a TLS proxy). */
  readonly secureCookie?: boolean;
  /** Largest request body (bytes, default 65536; model uploads have their own limit). */
  readonly bodyLimit?: number;
  /** Routes other parts of the worker bring (config and model push, say): registered with the rest, behind the same access hook. */
  readonly routes?: readonly ApiRoute[];
  /** Config and model push (cloud/push/): its routes are served when given. */
  readonly push?: PushControl;
}

/** The factory the Cloud resource takes. */
export const cloudApi =
  (options: CloudApiOptions = {}) =>
  (ctx: CloudContext): CloudApi =>
    new CloudApi(ctx, options);

export class CloudApi extends Resource {
  readonly name: string;
  readonly auth: Authenticator;
  readonly stream: StreamHub;
  #app: FastifyInstance | undefined;
  #routes: RouteEntry[] = [];

  constructor(
    private readonly ctx: CloudContext,
    private readonly o: CloudApiOptions = {},
  ) {
    super();
    this.name = `cloud-api ${ctx.config.http.host}:${ctx.config.http.port}`;
    this.auth = new Authenticator(ctx.config, ctx.clock, o.auth);
    this.stream = new StreamHub(ctx, o.stream);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.#app?.server.address() as AddressInfo | null)?.port ?? this.ctx.config.http.port;
  }

  /** Where it listens, for the worker's start-up message. */
  describe(): string {
    const { http } = this.ctx.config;
    return `HTTP API on ${http.tls ? 'https' : 'http'}://${http.host}:${this.port}`;
  }

  /** Every route with its access level, as registered (for docs and the route-table test). */
  get routes(): readonly RouteEntry[] {
    return this.#routes;
  }

  protected async _open(): Promise<void> {
    const { http } = this.ctx.config;
    const options: FastifyServerOptions & { https?: object } = {
      loggerInstance: this.ctx.log.child({ part: 'api' }),
      logController: new LogController({ disableRequestLogging: true }),
      exposeHeadRoutes: false,
      forceCloseConnections: true,
      return503OnClosing: true,
      bodyLimit: this.o.bodyLimit ?? 65_536,
    };
    if (http.tls) {
      const read = (path: string, what: string) => readConfiguredFile(path, what);
      options.https = {
        cert: await read(http.tls.certFile, 'TLS certificate'),
        key: await read(http.tls.keyFile, 'TLS key'),
        ...(http.tls.caFile ? { ca: await read(http.tls.caFile, 'TLS CA bundle'), requestCert: true, rejectUnauthorized: true } : {}),
      };
    }
    const app = Fastify(options) as unknown as FastifyInstance;
    this.#app = app;
    app.setValidatorCompiler(validatorCompiler);
    app.setErrorHandler(errorHandler(this.ctx.log));
    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send(errorBody(codedError('ERR_API_NOT_FOUND', ['route', `${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`])));
    });
    this.#countRequests(app);
    this.#routes = installGuard(app, this.auth, this.ctx.metrics);
    registerRoutes(app, this.#allRoutes());
    try {
      await app.listen({ host: http.host, port: http.port });
    } catch (err) {
      throw codedError('ERR_HTTP_LISTEN', [`${http.host}:${http.port}`, (err as Error).message], { cause: err });
    }
    this.stream.start();
  }

  protected async _close(): Promise<void> {
    this.stream.stop();
    await this.#app?.close();
    this.auth.sessions.clear();
  }

  #allRoutes(): ApiRoute[] {
    const deps = {
      ctx: this.ctx,
      auth: this.auth,
      secureCookie: this.o.secureCookie ?? this.ctx.config.http.tls !== undefined,
      health: this.o.health ?? (() => ({})),
    };
    return [
      ...authRoutes(deps),
      ...fleetRoutes(deps),
      ...dataRoutes(deps),
      ...alertRoutes(deps),
      ...opsRoutes(deps),
      ...(this.o.push ? pushRoutes(this.o.push) : []),
      this.stream.route(),
      ...(this.o.routes ?? []),
      ...staticRoutes(this.o.dashboardDir ?? defaultDashboardDir()),
    ];
  }

  #countRequests(app: FastifyInstance): void {
    const requests = this.ctx.metrics.counter('tributary_cloud_api_requests_total', 'API requests answered, by method, route pattern (unmatched: no route) and status', ['method', 'route', 'status']);
    const seconds = this.ctx.metrics.histogram('tributary_cloud_api_request_seconds', 'Time to answer an API request (the live stream excluded)', [0.005, 0.025, 0.1, 0.5, 2.5]);
    app.addHook('onResponse', async (request, reply) => {
      requests.labels(request.method, request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'), String(reply.statusCode)).inc();
      seconds.observe(reply.elapsedTime / 1000);
    });
  }
}

/** cloud/dashboard beside the package.json this module belongs to (works from the sources and from dist/). */
function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new TypeError('cannot find the package folder to serve cloud/dashboard from; pass dashboardDir');
    dir = up;
  }
  return join(dir, 'cloud', 'dashboard');
}

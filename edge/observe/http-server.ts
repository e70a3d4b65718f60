// The gateway's observability endpoint: /metrics (Prometheus text), /healthz, and /inspect/<store>.
// Loopback-only by default; anywhere else it demands a bearer token (checked in constant time).

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readConfiguredFile } from '../config/read-file.js';
import { codedError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';

export interface Health {
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

export interface HttpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token?: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly metrics: () => string;
  readonly health: () => Health;
  /** What a named store holds, newest first unless `order` says otherwise; undefined for an unknown store. */
  readonly inspect: (store: string, limit: number, order: 'newest' | 'oldest') => Promise<unknown>;
  /** Per-device counts, by device id. */
  readonly devices: () => unknown;
}

export class ObservabilityServer extends Resource {
  readonly name: string;
  #server: Server | undefined;
  readonly #tokenDigest: Buffer | undefined;

  constructor(private readonly o: HttpServerOptions) {
    super();
    this.name = `http ${o.host}:${o.port}`;
    this.#tokenDigest = o.token === undefined ? undefined : digest(o.token);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? this.o.port;
  }

  protected async _open(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    const server = this.o.tls
      ? createHttps({ cert: await readConfiguredFile(this.o.tls.certFile, 'TLS certificate'), key: await readConfiguredFile(this.o.tls.keyFile, 'TLS key') }, handler)
      : createHttp(handler);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(codedError('ERR_HTTP_LISTEN', [`${this.o.host}:${this.o.port}`, err.message], { cause: err })));
      server.listen(this.o.port, this.o.host, () => resolve());
    });
  }

  protected async _close(): Promise<void> {
    const server = this.#server;
    if (!server?.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET') return send(res, 405, { error: 'only GET' });
      if (this.#tokenDigest && !this.#authorised(req)) return send(res, 401, { error: 'bearer token required' });
      const url = new URL(req.url ?? '/', 'http://gateway');
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(this.o.metrics());
      }
      if (url.pathname === '/healthz') {
        const health = this.o.health();
        return send(res, health.ok ? 200 : 503, health);
      }
      if (url.pathname === '/devices') return send(res, 200, this.o.devices());
      const m = /^\/inspect\/([a-z-]+)$/.exec(url.pathname);
      if (m) {
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const order = url.searchParams.get('order') === 'oldest' ? 'oldest' : 'newest';
        if (!Number.isInteger(limit) || limit < 1 || limit > 10000) return send(res, 400, { error: 'limit must be an integer from 1 to 10000' });
        const held = await this.o.inspect(m[1]!, limit, order);
        return held !== undefined ? send(res, 200, held) : send(res, 404, { error: `no store ${m[1]}` });
      }
      send(res, 404, { error: 'try /metrics, /healthz, /devices or /inspect/<outbox|alerts|raw|status|dead-letter|late-data>' });
    } catch (err) {
      send(res, 500, { error: (err as Error).message });
    }
  }

  #authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    return m !== null && timingSafeEqual(digest(m[1]!), this.#tokenDigest!);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

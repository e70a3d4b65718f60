// The broker's sockets: a TCP listener and an optional TLS one, one connection limit across both,
// TCP_NODELAY on every socket, and a way to stop and restart reading from all of them at once.

import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { codedError } from '../../errors/catalogue.js';
import type { ListenerKind } from './metrics.js';

export interface ListenersOptions {
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** TCP_NODELAY on every socket: small readings go out without Nagle's 40 ms batching. */
  readonly noDelay: boolean;
  /** Connections across both listeners beyond this are closed at once. */
  readonly maxConnections: number;
  readonly tls?: { readonly port: number; readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  readonly log: Logger;
  /** Hand an accepted connection (TLS already terminated) to the broker. */
  onConnection(stream: Socket, kind: ListenerKind): void;
  onRefused(reason: 'max_connections'): void;
  onTlsError(err: Error): void;
}

// While paused, the broker's pulls (it calls read() on 'readable') come back empty, so bytes stay
// in the socket; once its buffer passes the high-water mark Node stops reading the file
// descriptor and TCP flow control pushes back on the device. socket.pause() cannot do this:
// it only leaves flowing mode, and the broker never used flowing mode.
const pausedRead = (): null => null;

export class Listeners {
  readonly #o: ListenersOptions;
  readonly #servers = new Map<ListenerKind, Server>();
  /** Every raw TCP socket, so close() can destroy those still mid-handshake. */
  readonly #sockets = new Set<Socket>();
  /** What the broker reads, per listener: the raw socket for TCP, the TLSSocket for TLS. */
  readonly #streams = new Map<Socket, ListenerKind>();
  #paused = false;

  constructor(options: ListenersOptions) {
    this.#o = options;
  }

  /** The bound port of a listener, once open. */
  port(kind: ListenerKind): number | undefined {
    const address = this.#servers.get(kind)?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  connections(kind: ListenerKind): number {
    let n = 0;
    for (const k of this.#streams.values()) if (k === kind) n++;
    return n;
  }

  unreadBytes(): number {
    let n = 0;
    for (const stream of this.#streams.keys()) n += stream.readableLength;
    return n;
  }

  async open(): Promise<void> {
    const o = this.#o;
    const tcp = createTcpServer({ noDelay: o.noDelay }, (socket) => this.#accept(socket, 'tcp'));
    await this.#listen('tcp', tcp, o.port);
    if (o.tls) {
      // MQTT over TLS (MQTT 3.1.1 §5.1 suggests port 8883); with a CA, clients must present a certificate it signed.
      const tls = createTlsServer({
        noDelay: o.noDelay,
        cert: o.tls.cert,
        key: o.tls.key,
        ...(o.tls.ca ? { ca: o.tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
      });
      tls.on('connection', (socket: Socket) => this.#track(socket));
      tls.on('secureConnection', (stream: TLSSocket) => this.#accept(stream, 'tls'));
      tls.on('tlsClientError', (err) => o.onTlsError(err));
      await this.#listen('tls', tls, o.tls.port);
    }
  }

  /** Stop reading from every client socket, and from new ones until resume(). */
  pause(): void {
    this.#paused = true;
    for (const stream of this.#streams.keys()) stream.read = pausedRead;
  }

  resume(): void {
    this.#paused = false;
    for (const stream of this.#streams.keys()) {
      delete (stream as { read?: unknown }).read; // back to the prototype's read()
      // Bytes may already be buffered with no 'readable' event left to come: wake the reader.
      if (stream.readableLength > 0 && !stream.destroyed) stream.emit('readable');
    }
  }

  /** Stop accepting; resolves when the listeners are closed (destroy() ends what is still open). */
  stopAccepting(): Promise<void> {
    return Promise.all([...this.#servers.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => {});
  }

  /** Destroy every socket still open. */
  destroy(): void {
    for (const socket of this.#sockets) socket.destroy();
    for (const stream of this.#streams.keys()) stream.destroy();
  }

  #listen(kind: ListenerKind, server: Server, port: number): Promise<void> {
    this.#servers.set(kind, server);
    server.maxConnections = this.#o.maxConnections; // a per-listener cap on raw sockets, before any handshake
    server.on('drop', () => this.#o.onRefused('max_connections'));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(codedError('ERR_MQTT_LISTEN', [`${this.#o.host}:${port} (${kind})`, err.message], { cause: err })));
      server.listen({ host: this.#o.host, port }, () => {
        server.on('error', (err) => this.#o.log.error({ err, listener: kind }, 'MQTT listener error'));
        resolve();
      });
    });
  }

  #track(socket: Socket): void {
    socket.setNoDelay(this.#o.noDelay);
    // Errors surface through the broker once it owns the stream; until then, only 'close' matters.
    socket.on('error', () => {});
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(stream: Socket, kind: ListenerKind): void {
    if (kind === 'tcp') this.#track(stream);
    if (this.#streams.size >= this.#o.maxConnections) {
      this.#o.onRefused('max_connections');
      stream.destroy();
      return;
    }
    this.#streams.set(stream, kind);
    stream.once('close', () => this.#streams.delete(stream));
    if (this.#paused) stream.read = pausedRead;
    this.#o.onConnection(stream, kind);
  }
}

// A webhook receiver on 127.0.0.1:0 that records every request and answers each with the next of
// `statuses`, then 204.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** The body as sent (what the signature covers). */
  readonly raw: string;
  readonly signature: string | undefined;
}

export interface WebhookReceiver extends AsyncDisposable {
  readonly url: string;
  readonly got: Received[];
}

export async function webhookReceiver(statuses: number[] = []): Promise<WebhookReceiver> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      got.push({ raw, signature: req.headers['x-tributary-signature'] as string | undefined });
      res.writeHead(statuses.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// A small HTTP client for API tests: JSON in and out, bearer or Basic credentials, cookies, and the
// first bytes of a streaming answer without waiting for its end.

export interface CallOptions {
  readonly method?: string;
  readonly token?: string;
  /** [name, secret] for Basic. */
  readonly basic?: readonly [string, string];
  readonly cookie?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface Answer<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly json: T;
  readonly text: string;
}

export function headersFor(o: CallOptions): Record<string, string> {
  const h: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) h.authorization = `Bearer ${o.token}`;
  if (o.basic) h.authorization = `Basic ${Buffer.from(`${o.basic[0]}:${o.basic[1]}`).toString('base64')}`;
  if (o.cookie !== undefined) h.cookie = o.cookie;
  if (o.body !== undefined) h['content-type'] = 'application/json';
  return h;
}

export async function call<T = any>(base: string, path: string, o: CallOptions = {}): Promise<Answer<T>> {
  const res = await fetch(base + path, { method: o.method ?? 'GET', headers: headersFor(o), ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

/** The status of a request whose body may never end (a live stream): the body is abandoned. */
export async function statusOnly(base: string, path: string, o: CallOptions = {}): Promise<number> {
  const abort = new AbortController();
  const res = await fetch(base + path, { method: o.method ?? 'GET', headers: headersFor(o), signal: abort.signal, ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) });
  abort.abort();
  await res.body?.cancel().catch(() => {});
  return res.status;
}

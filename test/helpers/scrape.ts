// Reading a process's /metrics (Prometheus text) in tests and benchmarks: series by name and labels.

/** Every series of a Prometheus text exposition: `name{labels}` → value. `headers`: e.g. the cloud's admin token. */
export async function scrape(url: string, headers: Readonly<Record<string, string>> = {}): Promise<Map<string, number>> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The sum of every series of `name` (any labels). */
export function total(series: ReadonlyMap<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of series) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

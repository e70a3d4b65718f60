// Parses a reading's timestamp: integer milliseconds since the epoch, or an ISO 8601 string.

export type ParsedTimestamp = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly why: string; readonly wrongType?: boolean };

// 1e11 ms is 1973-03-03: anything smaller is almost surely seconds since the epoch, a common
// device bug that would otherwise file every reading under 1970.
const MIN_MS = 1e11;
// 9999-12-31T23:59:59.999Z, the largest instant ISO 8601 with a four-digit year can write.
const MAX_MS = 253402300799999;
// ISO 8601 date-time as RFC 3339 profiles it (§5.6), with an explicit offset or Z.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

export function parseTimestamp(value: unknown): ParsedTimestamp {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, why: String(value) };
    if (value < MIN_MS) return { ok: false, why: `${value} (that looks like seconds, not milliseconds)` };
    if (value > MAX_MS) return { ok: false, why: String(value) };
    return { ok: true, ms: Math.floor(value) };
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return parseTimestamp(Number(s));
    if (!ISO_8601.test(s)) return { ok: false, why: JSON.stringify(value) };
    const ms = Date.parse(s.replace(' ', 'T'));
    if (!Number.isFinite(ms)) return { ok: false, why: JSON.stringify(value) };
    return parseTimestamp(ms);
  }
  return { ok: false, why: `expected milliseconds or an ISO 8601 string, got ${value === null ? 'null' : typeof value}`, wrongType: true };
}

// JSON framing: one object, `ts` optional, every other field a numeric metric (except the
// device field, for line framings that name their device in the payload).

import { failure, MetricCollector, type ParseResult } from './parsed.js';

// JSON has no NaN or Infinity, so devices that print them produce unparseable JSON: say why.
const NON_FINITE_JSON = /(?<![A-Za-z_"])(?:-?Infinity|NaN)(?![A-Za-z_"])/;

export function parseJson(text: string, deviceField?: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const m = NON_FINITE_JSON.exec(text);
    return m ? failure('ERR_DECODE_NON_FINITE', [m[0]]) : failure('ERR_DECODE_NOT_JSON', [(err as Error).message]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return failure('ERR_DECODE_WRONG_TYPE', ['payload', 'expected a JSON object']);
  const obj = parsed as Record<string, unknown>;
  const metrics = new MetricCollector();
  let tsField: unknown;
  let device: string | undefined;
  for (const key in obj) {
    const v = obj[key];
    if (key === 'ts') {
      tsField = v;
      continue;
    }
    if (key === deviceField) {
      if (typeof v !== 'string') return failure('ERR_DECODE_WRONG_TYPE', [key, 'expected the device id as a string']);
      device = v;
      continue;
    }
    if (typeof v !== 'number') return failure('ERR_DECODE_WRONG_TYPE', [key, `expected a number, got ${v === null ? 'null' : typeof v}`]);
    const problem = metrics.add(key, v);
    if (problem) return problem;
  }
  return { tsField, values: metrics.values, count: metrics.count, ...(device !== undefined ? { device } : {}) };
}

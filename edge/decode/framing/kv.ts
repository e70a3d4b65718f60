// key=value framing for serial lines: pairs separated by spaces, commas or semicolons, e.g.
// `device=motor-1 ts=1732406400123 temp=71.2 vib_rms=0.41`. `ts` and the device key are special.

import { failure, MetricCollector, type ParseResult } from './parsed.js';

const SEPARATORS = /[\s,;]+/;

export function parseKv(text: string, deviceField: string): ParseResult {
  const metrics = new MetricCollector();
  let tsField: string | undefined;
  let device: string | undefined;
  for (const part of text.split(SEPARATORS)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return failure('ERR_DECODE_BAD_TEXT', [`"${part}" is not key=value`]);
    const key = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    if (key === 'ts') tsField = raw;
    else if (key === deviceField) device = raw;
    else {
      const problem = metrics.addText(key, raw);
      if (problem) return problem;
    }
  }
  return { tsField, values: metrics.values, count: metrics.count, ...(device !== undefined ? { device } : {}) };
}

// The compact text form for constrained devices: `<ts>,metric=value,...`, the timestamp optional.

import { failure, MetricCollector, type ParseResult } from './parsed.js';

export function parseText(text: string): ParseResult {
  if (text.length === 0) return failure('ERR_DECODE_NO_METRICS');
  const parts = text.split(',');
  let tsField: string | undefined;
  let i = 0;
  if (!parts[0]!.includes('=')) {
    tsField = parts[0]!.trim();
    i = 1;
  }
  const metrics = new MetricCollector();
  for (; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    if (eq <= 0) return failure('ERR_DECODE_BAD_TEXT', [`"${part}" is not metric=value`]);
    const problem = metrics.addText(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    if (problem) return problem;
  }
  return { tsField, values: metrics.values, count: metrics.count };
}

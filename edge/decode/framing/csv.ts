// CSV framing for serial lines: values in configured columns, e.g. columns [ts, device, temp,
// vib_rms] for `1732406400123,motor-1,71.2,0.41`. A `-` column is skipped; an empty cell means
// that metric was not measured this time.

import { failure, MetricCollector, type ParseResult } from './parsed.js';

export function parseCsv(text: string, columns: readonly string[], delimiter: string, deviceField: string): ParseResult {
  const cells = text.split(delimiter);
  if (cells.length !== columns.length) return failure('ERR_DECODE_BAD_CSV', [cells.length, columns.length]);
  const metrics = new MetricCollector();
  let tsField: string | undefined;
  let device: string | undefined;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const cell = cells[i]!.trim();
    if (column === '-') continue;
    if (column === 'ts') tsField = cell === '' ? undefined : cell;
    else if (column === deviceField) device = cell;
    else if (cell !== '') {
      const problem = metrics.addText(column, cell);
      if (problem) return problem;
    }
  }
  return { tsField, values: metrics.values, count: metrics.count, ...(device !== undefined ? { device } : {}) };
}

// A short line diff for drift messages: what the README says (-) against what the code makes (+).

/** The differing lines with `context` lines around each change, at most `limit` lines in all. */
export function lineDiff(before: string, after: string, context = 2, limit = 60): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence table, from the ends (blocks are a few hundred lines).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', line: a[i++]! });
    else ops.push({ op: '+', line: b[j++]! });
  }
  const keep = ops.map((o, k) => ops.slice(Math.max(0, k - context), k + context + 1).some((near) => near.op !== ' '));
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (!keep[k]) {
      if (out.at(-1) !== '  ...') out.push('  ...');
      return;
    }
    out.push(`${o.op} ${o.line}`);
  });
  const shown = out.length > limit ? [...out.slice(0, limit), `  ... (${out.length - limit} more lines)`] : out;
  return shown.join('\n');
}

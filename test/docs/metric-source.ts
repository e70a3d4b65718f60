// Finds every metric the code registers by reading its source: the calls on a Registry
// (`counter`, `gauge`, `histogram`, `sharedCounter`, `sharedGauge`) and on `classCounter`, with
// their name, help text and label names.
//
// Why the source and not a live Registry: metrics are registered by the parts that own them, when
// those parts open, and several need hardware or a broker to open at all (serial and Modbus ports,
// an upstream MQTT broker, an MQTT 5 share group), so a registry filled at run time would list only
// what a test could start. The source lists them all. TypeScript's own parser is not available to
// scripts here (typescript@7 is the native compiler; its JS API is marked unstable), so this is a
// small reader of the one call style the code uses, and it reports every call it cannot read
// instead of guessing: metric names are string literals or templates over a `const p =
// 'tributary_…'` prefix; help texts are string literals (joined by `+`); label names an array of
// string literals.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** Relative to the project root, with `/`. */
  readonly file: string;
  readonly line: number;
}

export interface UnreadCall {
  readonly file: string;
  readonly line: number;
  /** The call's text up to its first argument's end. */
  readonly call: string;
  readonly why: string;
}

export interface MetricScan {
  readonly metrics: readonly MetricDef[];
  readonly unread: readonly UnreadCall[];
}

/** Registry methods, and the helper that wraps `counter` with a `class` label (edge/outbox/metrics.ts). */
const CALLS = {
  counter: { type: 'counter', name: 0, help: 1, labels: 2 },
  sharedCounter: { type: 'counter', name: 0, help: 1, labels: 2 },
  gauge: { type: 'gauge', name: 0, help: 1, labels: 2 },
  sharedGauge: { type: 'gauge', name: 0, help: 1, labels: 2 },
  histogram: { type: 'histogram', name: 0, help: 1, labels: undefined },
  classCounter: { type: 'counter', name: 1, help: 2, labels: ['class'] },
} as const satisfies Record<string, { type: MetricType; name: number; help: number; labels: number | readonly string[] | undefined }>;

const CALL = /(\.|(?<![\w.$]))(counter|sharedCounter|gauge|sharedGauge|histogram|classCounter)\s*\(/g;

/** The registrations in one file's text. `file` names it in the results. */
export function scanSource(file: string, text: string): MetricScan {
  const consts = stringConsts(text);
  const metrics: MetricDef[] = [];
  const unread: UnreadCall[] = [];
  for (const m of text.matchAll(CALL)) {
    const method = m[2] as keyof typeof CALLS;
    const spec = CALLS[method];
    const start = m.index;
    // `function classCounter(` declares the helper; a method of that name on something else is not a call on a Registry.
    if (m[1] === '' && method !== 'classCounter') continue;
    if (/\bfunction\s+$/.test(text.slice(Math.max(0, start - 20), start))) continue;
    const line = text.slice(0, start).split('\n').length;
    const args = splitArgs(text, start + m[0].length, Math.max(spec.name, spec.help, typeof spec.labels === 'number' ? spec.labels : 0) + 1);
    const nameArg = args?.[spec.name];
    const call = `${m[0]}${nameArg ?? ''}`.trim();
    const fail = (why: string) => unread.push({ file, line, call, why });
    if (!args || nameArg === undefined) {
      fail('its arguments do not parse');
      continue;
    }
    const name = evaluate(nameArg, consts);
    if (name === undefined) {
      fail(`its name ${nameArg} is not a string literal or a template over a string const`);
      continue;
    }
    const helpArg = args[spec.help];
    const help = helpArg === undefined ? undefined : evaluate(helpArg, consts);
    if (help === undefined) {
      fail(`${name}: its help text is not a string literal`);
      continue;
    }
    const labels = typeof spec.labels === 'number' ? labelList(args[spec.labels]) : (spec.labels ?? []);
    if (labels === undefined) {
      fail(`${name}: its label names are not an array of string literals`);
      continue;
    }
    metrics.push({ name, type: spec.type, help, labels, file, line });
  }
  return { metrics, unread };
}

/** Every registration under `dirs` of `root` (TypeScript files, the Registry itself excluded). */
export function scanTree(root: string, dirs: readonly string[] = ['edge', 'cloud', 'devices']): MetricScan {
  const metrics: MetricDef[] = [];
  const unread: UnreadCall[] = [];
  for (const file of sourceFiles(root, dirs)) {
    const rel = relative(root, file).split('\\').join('/');
    if (rel === 'edge/observe/metrics.ts') continue;
    const scan = scanSource(rel, readFileSync(file, 'utf8'));
    metrics.push(...scan.metrics);
    unread.push(...scan.unread);
  }
  return { metrics, unread };
}

/**
 * Every `tributary_…` name the source mentions anywhere (strings, templates over a prefix const,
 * comments), with where: what a metric table must cover, give or take names that are not metrics.
 */
export function mentionedNames(root: string, dirs: readonly string[] = ['edge', 'cloud', 'devices']): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sourceFiles(root, dirs)) {
    const rel = relative(root, file).split('\\').join('/');
    const text = readFileSync(file, 'utf8');
    const consts = stringConsts(text);
    const prefixes = new Set([...consts.values()].filter((v) => v.startsWith('tributary_')));
    const add = (name: string) => {
      if (!prefixes.has(name) && !found.has(name)) found.set(name, rel);
    };
    for (const m of text.matchAll(/\btributary_[a-z0-9_]*[a-z0-9]/g)) add(m[0]);
    for (const m of text.matchAll(/\$\{(\w+)\}(_[a-z0-9_]*[a-z0-9])/g)) {
      const prefix = consts.get(m[1]!);
      if (prefix?.startsWith('tributary_')) add(`${prefix}${m[2]}`);
    }
  }
  return found;
}

function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const d of dirs) visit(join(root, d));
  return out;
}

/** `const x = 'literal'` bindings of the file; a name bound to two different strings is left out. */
function stringConsts(text: string): Map<string, string> {
  const found = new Map<string, string | null>();
  for (const m of text.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")\s*;/g)) {
    const value = literal(m[2]!);
    const before = found.get(m[1]!);
    found.set(m[1]!, before === undefined || before === value ? (value ?? null) : null);
  }
  return new Map([...found].filter((e): e is [string, string] => e[1] !== null));
}

/**
 * The first `count` top-level arguments of the call whose `(` ends at `from`, as source text; fewer
 * when the call has fewer. Undefined when the text does not parse (an unclosed string or bracket).
 */
export function splitArgs(text: string, from: number, count: number): string[] | undefined {
  const args: string[] = [];
  const closers: string[] = [];
  // The current argument's text, comments left out.
  let arg = '';
  let start = from;
  let i = from;
  const cut = (at: number) => {
    arg += text.slice(start, at);
    const done = arg.trim();
    arg = '';
    return done;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = skipString(text, i);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      const end = text[i + 1] === '/' ? text.indexOf('\n', i) : text.indexOf('*/', i + 2) + 2;
      if (end < 2) return undefined;
      arg += `${text.slice(start, i)} `;
      start = i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') closers.push(c === '(' ? ')' : c === '[' ? ']' : '}');
    else if (c === ')' || c === ']' || c === '}') {
      if (closers.length === 0) {
        if (c !== ')') return undefined;
        const last = cut(i);
        if (last !== '') args.push(last);
        return args;
      }
      if (closers.pop() !== c) return undefined;
    } else if (c === ',' && closers.length === 0) {
      args.push(cut(i));
      if (args.length === count) return args;
      start = i + 1;
    }
    i++;
  }
  return undefined;
}

/** The index just past the string or template starting at `at`; undefined when it never closes. */
function skipString(text: string, at: number): number | undefined {
  const quote = text[at]!;
  let i = at + 1;
  let depth = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') i += 2;
    else if (quote === '`' && c === '$' && text[i + 1] === '{') {
      depth++;
      i += 2;
    } else if (quote === '`' && depth > 0 && c === '}') {
      depth--;
      i++;
    } else if (depth > 0 && (c === "'" || c === '"' || c === '`')) {
      const end = skipString(text, i);
      if (end === undefined) return undefined;
      i = end;
    } else if (c === quote && depth === 0) return i + 1;
    else if (c === '\n' && quote !== '`') return undefined;
    else i++;
  }
  return undefined;
}

/**
 * The value of a string expression: literals, templates whose `${x}` are string consts of the
 * file, joined by `+`. Undefined for anything else.
 */
export function evaluate(expr: string, consts: ReadonlyMap<string, string>): string | undefined {
  let out = '';
  let rest = expr.trim();
  for (;;) {
    const c = rest[0];
    if (c !== "'" && c !== '"' && c !== '`') return undefined;
    const end = skipString(rest, 0);
    if (end === undefined) return undefined;
    const piece = c === '`' ? template(rest.slice(0, end), consts) : literal(rest.slice(0, end));
    if (piece === undefined) return undefined;
    out += piece;
    rest = rest.slice(end).replace(/^\s+/, '');
    if (rest === '') return out;
    if (rest[0] !== '+') return undefined;
    rest = rest.slice(1).replace(/^\s+/, '');
  }
}

function template(text: string, consts: ReadonlyMap<string, string>): string | undefined {
  let ok = true;
  const body = text.slice(1, -1).replace(/\$\{\s*([A-Za-z_$][\w$]*)\s*\}/g, (_, name: string) => {
    const value = consts.get(name);
    if (value === undefined) ok = false;
    return (value ?? '').replace(/[\\`$]/g, '\\$&');
  });
  if (!ok || body.includes('${')) return undefined;
  return unescape(body);
}

function literal(text: string): string | undefined {
  return unescape(text.slice(1, -1));
}

function unescape(body: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)/g, (_, e: string) => {
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    if (e[0] === 'u' && e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === '\n') return '';
    return simple[e] ?? e;
  });
}

function labelList(arg: string | undefined): string[] | undefined {
  if (arg === undefined) return [];
  const m = /^\[([\s\S]*)\]$/.exec(arg.trim());
  if (!m) return undefined;
  const inner = m[1]!.trim();
  if (inner === '') return [];
  const items = splitArgs(`${inner})`, 0, Number.MAX_SAFE_INTEGER);
  if (!items) return undefined;
  const values = items.filter((s) => s !== '').map((s) => evaluate(s, new Map()));
  return values.every((v) => v !== undefined) ? (values as string[]) : undefined;
}

// Every key of a TypeBox config schema as a row of the README's reference: dotted path, type,
// default and description, walked from the JSON Schema TypeBox builds (schema order is kept: it is
// the order a config file is read in).
//
// Paths: `a.b` for an object's key, `a[]` for an array's items, `a.<name>` for a record's entries.
// A union of objects told apart by a key that is a literal in every branch (`kind`, `type`) lists
// its keys once when every branch has them alike, and otherwise per branch, the description saying
// which (`type threshold: ...`).

import { code, prose, table } from './markdown.js';

/** The parts of JSON Schema TypeBox emits that the walk reads. */
export interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

export interface KeyRow {
  readonly key: string;
  /** Markdown, ready for a cell. */
  readonly type: string;
  /** Markdown: the default as JSON, `required`, or `—` (optional, no default). */
  readonly default: string;
  /** Markdown: which branch of a union the key belongs to, then the schema's description. */
  readonly description: string;
}

export interface KeyFilter {
  /** Only these top-level keys, in schema order. */
  readonly only?: readonly string[];
  /** Every top-level key but these. */
  readonly except?: readonly string[];
}

/** Rows for every key under `root` (an object schema), in schema order. */
export function configRows(root: JsonSchema, filter: KeyFilter = {}): KeyRow[] {
  const rows: KeyRow[] = [];
  const top = Object.entries(root.properties ?? {}).filter(([k]) => (filter.only ? filter.only.includes(k) : !filter.except?.includes(k)));
  if (filter.only) {
    const missing = filter.only.filter((k) => !top.some(([name]) => name === k));
    if (missing.length) throw new TypeError(`no top-level key ${missing.join(', ')} in the schema`);
  }
  for (const [name, schema] of top) walk(schema, name, isRequired(root, name), [], rows);
  return rows;
}

/** The rows as a markdown table. */
export function configTable(rows: readonly KeyRow[]): string {
  return table(['key', 'type', 'default', 'description'], rows.map((r) => [code(r.key), r.type, r.default, r.description]));
}

function walk(s: JsonSchema, key: string, required: boolean, when: readonly string[], rows: KeyRow[]): void {
  rows.push({ key, type: typeOf(s), default: defaultOf(s, required), description: described(when, prose(s.description ?? '')) });
  descend(s, key, when, rows);
}

// The keys below a schema. An array's or record's own row already says what its entries are
// (`object[]`, `map of object`), so the entries get rows only for their keys.
function descend(s: JsonSchema, key: string, when: readonly string[], rows: KeyRow[]): void {
  const branches = objectBranches(s);
  if (branches) return walkUnion(branches, key, when, rows);
  if (s.properties) {
    for (const [name, child] of Object.entries(s.properties)) walk(child, `${key}.${name}`, isRequired(s, name), when, rows);
    return;
  }
  // Type.Intersect: the keys of every part.
  if (s.allOf) return s.allOf.forEach((part) => descend(part, key, when, rows));
  const entry = recordEntry(s);
  if (entry) return descend(entry, `${key}.<name>`, when, rows);
  if (s.type === 'array' && s.items) descend(s.items, `${key}[]`, when, rows);
}

function walkUnion(branches: readonly JsonSchema[], key: string, when: readonly string[], rows: KeyRow[]): void {
  const tag = discriminator(branches);
  const label = (b: JsonSchema, i: number) => (tag ? String(b.properties![tag]!.const) : `#${i + 1}`);
  const labels = branches.map(label);
  if (tag) {
    const said = branches.flatMap((b, i) => (b.description ? [`${code(labels[i]!)}: ${prose(b.description)}`] : []));
    rows.push({ key: `${key}.${tag}`, type: labels.map(code).join(' \\| '), default: 'required', description: described(when, said.join('; ')) });
  }
  // Each key once per distinct schema, in order of first appearance across the branches.
  const seen = new Map<string, { schema: JsonSchema; required: boolean; in: string[] }[]>();
  branches.forEach((b, i) => {
    for (const [name, child] of Object.entries(b.properties ?? {})) {
      if (name === tag) continue;
      const variants = seen.get(name) ?? [];
      seen.set(name, variants);
      const required = isRequired(b, name);
      const same = variants.find((v) => v.required === required && JSON.stringify(v.schema) === JSON.stringify(child));
      if (same) same.in.push(labels[i]!);
      else variants.push({ schema: child, required, in: [labels[i]!] });
    }
  });
  for (const [name, variants] of seen) {
    for (const v of variants) {
      const everywhere = v.in.length === branches.length;
      walk(v.schema, `${key}.${name}`, v.required, everywhere ? when : [...when, qualifier(tag ?? 'shape', v.in, labels)], rows);
    }
  }
}

/** Which branches a key belongs to: `type score`, or `type not silent` when that says it in fewer names. */
function qualifier(tag: string, of: readonly string[], all: readonly string[]): string {
  const others = all.filter((l) => !of.includes(l));
  return of.length >= 3 && others.length < of.length ? `${tag} not ${others.map(code).join(', ')}` : `${tag} ${of.map(code).join(', ')}`;
}

/** A description after the qualifiers of the branches it belongs to. */
function described(when: readonly string[], text: string): string {
  const where = when.join('; ');
  return where && text ? `${where}: ${text}` : where || text;
}

/** The branches of a union whose every branch is an object with keys; undefined otherwise. */
function objectBranches(s: JsonSchema): readonly JsonSchema[] | undefined {
  const branches = s.oneOf ?? s.anyOf;
  return branches && branches.every((b) => b.type === 'object' && b.properties) ? branches : undefined;
}

/** The key every branch has as a distinct literal: what tells the branches apart. */
function discriminator(branches: readonly JsonSchema[]): string | undefined {
  const first = branches[0]?.properties ?? {};
  return Object.keys(first).find((k) => {
    const values = branches.map((b) => b.properties?.[k]?.const);
    return values.every((v) => v !== undefined) && new Set(values).size === branches.length;
  });
}

function recordEntry(s: JsonSchema): JsonSchema | undefined {
  const entries = Object.values(s.patternProperties ?? {});
  return entries.length === 1 ? entries[0] : undefined;
}

function isRequired(parent: JsonSchema, name: string): boolean {
  return parent.required?.includes(name) ?? false;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return code(String(s.const));
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    if (union.every((b) => b.const !== undefined)) return union.map((b) => code(String(b.const))).join(' \\| ');
    if (objectBranches(s)) return `object (one of ${union.length})`;
    return union.map(typeOf).join(' \\| ');
  }
  if (s.type === 'array') return s.items ? `${arrayItem(s.items)}[]` : 'array';
  if (s.allOf) return 'object';
  if (s.type === 'object') return recordEntry(s) ? `map of ${typeOf(recordEntry(s)!)}` : 'object';
  if (s.type === undefined) return 'any';
  return [s.type, bounds(s)].filter(Boolean).join(' ');
}

function arrayItem(items: JsonSchema): string {
  const t = typeOf(items);
  return /[ \\]/.test(t) && !t.startsWith('object') ? `(${t})` : t.replace(/ \(one of \d+\)$/, '');
}

function bounds(s: JsonSchema): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return `${s.minimum}–${s.maximum}`;
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.join(', ');
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) {
    // A section's `{}` default only says it may be left out; its keys carry the real defaults.
    if (s.properties && typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0) return '';
    return code(JSON.stringify(s.default));
  }
  return required ? 'required' : '—';
}

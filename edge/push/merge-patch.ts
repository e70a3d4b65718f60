// JSON Merge Patch (RFC 7396): how a pushed config document applies over the gateway's config file.
// Objects merge key by key, `null` removes a key, anything else (arrays included) replaces the value
// whole — so a push of `alerts: { rules: [...] }` sets the whole rule list and leaves every other
// key of the file as it is.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7396 §2 MergePatch(target, patch); neither input is changed. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Whether two JSON values are equal (objects by keys, whatever their order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  return keys.every((k) => jsonEqual(a[k], b[k]));
}

/** Dotted paths at which two JSON objects differ, not descending below `depth` levels (nor into arrays). */
export function changedPaths(a: unknown, b: unknown, depth = 3, prefix = ''): string[] {
  if (jsonEqual(a, b)) return [];
  if (depth === 0 || !isObject(a) || !isObject(b)) return [prefix || '(root)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => changedPaths(a[k], b[k], depth - 1, prefix ? `${prefix}.${k}` : k));
}

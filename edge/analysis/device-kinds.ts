// Which kind of device an id names (motor, pump, ...), from the config's `devices.kinds` patterns,
// so models and rules can apply to a kind instead of a list of ids.

/** `*` matches any run of characters; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export type KindOf = (device: string) => string | undefined;

/**
 * @param kinds kind → device id patterns, e.g. `{ motor: ['motor-*'] }`. The first kind (in
 * config order) with a matching pattern wins. Results are cached per device.
 */
export function deviceKinds(kinds: Readonly<Record<string, readonly string[]>>): KindOf {
  const rules = Object.entries(kinds).flatMap(([kind, globs]) => globs.map((g) => ({ kind, re: globToRegExp(g) })));
  const cache = new Map<string, string | undefined>();
  return (device) => {
    if (cache.has(device)) return cache.get(device);
    const kind = rules.find((r) => r.re.test(device))?.kind;
    if (cache.size > 100_000) cache.clear();
    cache.set(device, kind);
    return kind;
  };
}

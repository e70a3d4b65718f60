// The `debug` package's loggers, which mqtt-packet (aedes' parser and writer) and MQTT.js call on
// every packet, gather their arguments into an array before they look whether their namespace is
// on: mqtt-packet's parser calls its logger about ten times a packet. Under the e2e benchmark at
// 5,000 readings/s those arrays were ~7 % of what the gateway allocated (the inspector's sampling
// heap profiler), with the `enabled` check on top, in the brokers and the uplinks alike.
//
// Silenced, a logger made for a namespace that DEBUG does not enable is an empty function. A
// namespace DEBUG enables when the process starts logs as before. What a silenced logger cannot
// do is start logging later: `debug.enable()` at run time, or setting a logger's `enabled`, only
// reaches loggers made afterwards. Nothing in Tributary does either.

import { createRequire } from 'node:module';

type Logger = ((...args: unknown[]) => void) & { enabled: boolean; namespace: string; extend: (sub: string, delimiter?: string) => Logger };
type Factory = ((namespace: string) => Logger) & { enabled: (namespace: string) => boolean };

const SILENCED = Symbol.for('tributary.debug.silenced');

/**
 * The copies of `debug` that MQTT.js and mqtt-packet load, resolved from where each is installed.
 * (serialport's and modbus-serial's own copies log a line per frame at most, and are left alone.)
 */
function debugCopies(): string[] {
  const here = createRequire(import.meta.url);
  const fromAedes = createRequire(here.resolve('aedes'));
  const owners = [fromAedes.resolve('mqtt-packet'), here.resolve('mqtt')];
  return [...new Set(owners.map((owner) => createRequire(owner).resolve('debug')))];
}

function silenced(real: Factory): Factory {
  const noop = (): void => {};
  const make = (namespace: string): Logger => {
    if (real.enabled(namespace)) return real(namespace);
    return Object.assign(noop.bind(null), {
      enabled: false,
      namespace,
      extend: (sub: string, delimiter = ':') => make(`${namespace}${delimiter}${sub}`),
    });
  };
  // `default` and `debug` name the factory itself (as a module's default export, say).
  return Object.assign(make, real, { default: make, debug: make, [SILENCED]: true }) as Factory;
}

/**
 * From now on, loggers made by the `debug` copies MQTT.js and mqtt-packet use are empty functions
 * unless DEBUG enables their namespace. Must run before either module is first loaded (the command
 * line calls it before it loads a sub-command): loggers made earlier keep the real function.
 * Returns the files it switched; calling it again changes nothing.
 */
export function silenceDisabledDebug(): string[] {
  const require = createRequire(import.meta.url);
  const switched: string[] = [];
  for (const file of debugCopies()) {
    const real = require(file) as Factory & { [SILENCED]?: true };
    const cached = require.cache[file];
    if (real[SILENCED] || !cached) continue;
    cached.exports = silenced(real);
    switched.push(file);
  }
  return switched;
}

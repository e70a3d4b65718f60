// Where desired state is set, and which of it a gateway gets: `fleet` (every gateway),
// `site:<site>` (the gateways the cloud config places at that site) or `gateway:<id>`. For each slot
// — the config, or a model by name — the narrowest target wins: gateway over site over fleet.
// The same shape as the series scopes (device, line, site, fleet).

import { codedError } from '../../edge/errors/catalogue.js';
import type { CloudConfig } from '../config/schema.js';
import type { DesiredEntry, PushSlot, PushTarget } from '../store/contract.js';
import { slotOf } from '../store/push-merge.js';

export type ParsedTarget = { readonly kind: 'fleet' } | { readonly kind: 'site'; readonly site: string } | { readonly kind: 'gateway'; readonly gateway: string };

type Gateways = CloudConfig['gateways'];

/** The target `text` names, if it names configured gateways; throws ERR_PUSH_TARGET. */
export function parseTarget(text: PushTarget, gateways: Gateways): ParsedTarget {
  if (text === 'fleet') return { kind: 'fleet' };
  const [kind, name] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
  if (kind === 'site' && Object.values(gateways).some((g) => g.site === name)) return { kind: 'site', site: name };
  if (kind === 'gateway' && Object.hasOwn(gateways, name)) return { kind: 'gateway', gateway: name };
  throw codedError('ERR_PUSH_TARGET', [JSON.stringify(text)]);
}

/** The targets that reach `gateway`, narrowest first. */
export function targetsOf(gateway: string, gateways: Gateways): PushTarget[] {
  const site = Object.hasOwn(gateways, gateway) ? gateways[gateway]!.site : undefined;
  return [`gateway:${gateway}`, ...(site !== undefined ? [`site:${site}`] : []), 'fleet'];
}

/** What `gateway` should run, per slot: for each slot, the entry of the narrowest target that has one. */
export function desiredFor(gateway: string, entries: readonly DesiredEntry[], gateways: Gateways): Map<PushSlot, DesiredEntry> {
  const out = new Map<PushSlot, DesiredEntry>();
  for (const target of targetsOf(gateway, gateways)) {
    for (const e of entries) if (e.target === target && !out.has(slotOf(e))) out.set(slotOf(e), e);
  }
  return out;
}

/** Whether `target` reaches `gateway`. */
export function reaches(target: PushTarget, gateway: string, gateways: Gateways): boolean {
  return targetsOf(gateway, gateways).includes(target);
}

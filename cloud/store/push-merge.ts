// How push records and desired entries are kept, the same for every backend: a gateway's applied
// report is replaced only by one at least as new (status reports travel out of order, through
// several workers), sent marks by slot; desired entries are keyed by target and slot, and a
// model's bytes are kept while a desired entry names them.

import type { DesiredEntry, PushRecord, PushSlot, PushUpdate } from './contract.js';

export function mergePushRecord(held: PushRecord | undefined, u: PushUpdate): PushRecord {
  const newer = u.applied !== undefined && (held?.reportedAt == null || (u.reportedAt ?? -Infinity) >= held.reportedAt);
  return {
    gateway: u.gateway,
    applied: newer ? u.applied! : (held?.applied ?? null),
    reportedAt: newer ? (u.reportedAt ?? null) : (held?.reportedAt ?? null),
    sent: { ...held?.sent, ...u.sent },
  };
}

/** The slot a desired entry fills. */
export const slotOf = (e: Pick<DesiredEntry, 'kind'> & { readonly name?: string }): PushSlot => (e.kind === 'config' ? 'config' : `model:${e.name!}`);

/** Desired entries in the order the store lists them: by target, then slot. */
export function byTargetThenSlot(a: DesiredEntry, b: DesiredEntry): number {
  return a.target === b.target ? (slotOf(a) < slotOf(b) ? -1 : 1) : a.target < b.target ? -1 : 1;
}

/** Programmer mistakes in a desired entry: a model without its bytes, or bytes of another length. */
export function checkDesired(entry: DesiredEntry, onnx: Uint8Array | undefined): void {
  if (entry.kind === 'model' && onnx?.length !== entry.size) throw new TypeError(`desired model ${entry.name} needs its ${entry.size} ONNX bytes, got ${onnx?.length ?? 'none'}`);
  if (entry.kind === 'config' && onnx !== undefined) throw new TypeError('a desired config has no model bytes');
}

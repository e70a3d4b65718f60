// Sharing the cloud's one event loop. A window boundary brings a fleet's summaries at once: decoding
// their messages, planning and writing them, and the roll-up pass a second later each held the loop
// for 50–175 ms (a CPU profile of `npm run bench -- e2e`), and an alert message read meanwhile
// waited for all of it before the live stream heard of it. Bulk work therefore gives the loop up:
//
// - `Turn` (edge/analysis/turn.ts, which the gateway's uplink uses too): a long synchronous loop
//   asks `due()` as it goes and, once it has run for TURN_BUDGET_MS, awaits `next()` — one turn of
//   the event loop (setImmediate), so sockets and LevelDB callbacks are served before it goes on.
// - Bulk messages wait before decoding in a SliceLane of one (edge/analysis/slice-lane.ts), which
//   lets them go ONE per turn of the loop (cloud/ingest/ingest.ts). Each yielding once on its own
//   is not enough: every immediate queued before a turn's check phase runs in that phase, so a
//   read of ten summary messages decoded all ten back to back.

export { Turn, TURN_BUDGET_MS } from '../../edge/analysis/turn.js';

// Runs a fleet from the command line: open it, say where the gateway should point, stop on
// SIGINT/SIGTERM, and leave the summary on stdout and the counts in their file.

import type { Io } from '../edge/cli/io.js';
import type { Fleet, FleetSummary } from './fleet.js';
import { formatSummary, writeCounts } from './report.js';

export interface SessionOptions {
  /** Write the per-device counts here as JSON at the end. */
  readonly countsPath?: string;
  /** Called with the summary before the transports close (e.g. to write the ground truth). */
  readonly onSummary?: (summary: FleetSummary) => void;
}

export async function runSession(fleet: Fleet, devices: number, io: Io, options: SessionOptions = {}): Promise<FleetSummary> {
  const stop = (signal: NodeJS.Signals) => {
    io.stderr.write(`tributary devices: ${signal}: stopping, flushing and settling in-flight readings\n`);
    fleet.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await fleet.open();
    for (const line of fleet.describe()) io.stderr.write(`tributary devices: ${line}\n`);
    const summary = await fleet.run();
    options.onSummary?.(summary);
    if (options.countsPath) writeCounts(options.countsPath, summary);
    io.stdout.write(formatSummary(summary, devices));
    return summary;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await fleet.close();
  }
}

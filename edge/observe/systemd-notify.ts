// Tells systemd that the process is ready and still alive (the sd_notify protocol), so a unit with
// Type=notify and WatchdogSec= knows when start-up is done and restarts a process that has hung.
//
// Node has no unix datagram sockets, so each message is sent by Debian's `systemd-notify` binary,
// run as a child. Without --no-block it waits for the manager to pick the message up (a barrier),
// which is what lets systemd attribute a short-lived child's message to the unit; the unit needs
// NotifyAccess=all, because the sender is the child, not the main process. See sd_notify(3),
// systemd-notify(1) and NotifyAccess= in systemd.service(5).
//
// Pings come from a timer on the event loop, at half the watchdog interval (as sd_watchdog_enabled(3)
// advises): a blocked event loop sends none, and systemd kills and restarts the process.

import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { codedError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from './log.js';

/** Sends one sd_notify message made of `VARIABLE=VALUE` assignments; rejects when it could not. */
export type Notifier = (assignments: readonly string[]) => Promise<void>;

/**
 * The real notifier: runs `systemd-notify VARIABLE=VALUE...` with `env` (which must carry
 * NOTIFY_SOCKET). The child never keeps the process alive: a gateway that has closed exits even
 * while a message is still on its way. No timeout of our own: systemd-notify gives up waiting for
 * the manager after 5 s (and spawn's `timeout` would hold the event loop open).
 */
export function systemdNotify(env: NodeJS.ProcessEnv, command = 'systemd-notify'): Notifier {
  return (assignments) =>
    new Promise((resolve, reject) => {
      const child = spawn(command, [...assignments], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      child.on('error', (err) => reject(new Error(`${command} ${assignments.join(' ')}: ${err.message}`, { cause: err })));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${command} ${assignments.join(' ')}: ${stderr.trim() || `exit ${code ?? signal}`}`));
      });
      child.unref();
      (child.stderr as Socket).unref();
    });
}

export interface ServiceNotifierOptions {
  /** The process environment: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** This process's id; the watchdog applies only when WATCHDOG_PID is unset or equal to it. */
  readonly pid: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How messages are sent (default: the `systemd-notify` binary with `env`). */
  readonly notify?: Notifier;
  /** Checked before each ping: false skips it, so systemd restarts a process that is up but not working. */
  readonly alive?: () => boolean;
  /** Shown by `systemctl status` once ready (STATUS=). */
  readonly status?: string;
}

/**
 * open() sends READY=1 (and resolves once systemd-notify is done) and starts the watchdog pings;
 * close() stops them and sends STOPPING=1.
 * Without NOTIFY_SOCKET (not started by systemd, or Type= is not notify) both do nothing.
 */
export class ServiceNotifier extends Resource {
  readonly name = 'systemd-notify';
  /** True when started by systemd with a notification socket. */
  readonly enabled: boolean;
  /** Time between watchdog pings (ms): half of WATCHDOG_USEC, or undefined when there is no watchdog for this process. */
  readonly pingIntervalMs: number | undefined;
  readonly #o: ServiceNotifierOptions;
  readonly #notify: Notifier;
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;
  #skipped = 0;

  constructor(options: ServiceNotifierOptions) {
    super();
    this.#o = options;
    const { NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID } = options.env;
    this.enabled = Boolean(NOTIFY_SOCKET);
    this.#notify = options.notify ?? systemdNotify({ ...options.env });
    const usec = Number(WATCHDOG_USEC);
    const forThisProcess = WATCHDOG_PID === undefined || WATCHDOG_PID === '' || Number(WATCHDOG_PID) === options.pid;
    this.pingIntervalMs = this.enabled && forThisProcess && Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
  }

  /** Watchdog pings due but not sent, because the previous one was still running or alive() said no. */
  get skipped(): number {
    return this.#skipped;
  }

  protected async _open(): Promise<void> {
    if (!this.enabled) return;
    await this.#send(['READY=1', ...(this.#o.status ? [`STATUS=${this.#o.status}`] : [])]);
    if (this.pingIntervalMs === undefined) return;
    this.#timer = this.#o.clock.setInterval(() => this.#ping(), this.pingIntervalMs);
    // The pings must never be what keeps the process running after everything else has closed.
    this.#timer.unref();
    this.#o.log.info({ pingIntervalMs: this.pingIntervalMs }, 'systemd watchdog pings started');
  }

  /** Stops the pings and sends STOPPING=1 without waiting for it: shutdown must not wait on systemd. */
  protected async _close(): Promise<void> {
    if (this.#timer) this.#o.clock.clear(this.#timer);
    this.#timer = undefined;
    if (this.enabled) void this.#send(['STOPPING=1']);
  }

  #ping(): void {
    if (this.#inFlight || (this.#o.alive && !this.#o.alive())) {
      this.#skipped++;
      return;
    }
    this.#inFlight = this.#send(['WATCHDOG=1']).finally(() => {
      this.#inFlight = undefined;
    });
  }

  /** Send one message; a failure is logged (once per run of failures), never thrown. */
  async #send(assignments: readonly string[]): Promise<void> {
    try {
      await this.#notify(assignments);
      if (this.#failing) this.#o.log.info('systemd notifications work again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) {
        const coded = codedError('ERR_SYSTEMD_NOTIFY', [assignments[0], (err as Error).message], { cause: err });
        this.#o.log.error({ err: coded }, 'cannot notify systemd');
      }
      this.#failing = true;
    }
  }
}

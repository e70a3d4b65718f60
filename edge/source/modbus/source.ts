// A Modbus RTU master on one serial port: every pollIntervalMs it reads each configured unit's
// registers and emits one reading per unit. The port is retried with backoff while it is absent.

import type { TimerHandle } from '../../clock/clock.js';
import type { ModbusPortConfig } from '../../config/schema.js';
import type { TributaryError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import { SerialPort } from 'serialport';
import type { RawMessage, Source, SourceContext, SourceHealth } from '../contract.js';
import { hangUpAware, type SerialBinding } from '../serial-io/hangup-binding.js';
import type { RtuLink } from './link.js';
import { modbusMetrics, type ModbusMetrics } from './metrics.js';
import { planUnit, type UnitPlan } from './plan.js';
import { pollUnit, readingPayload, type UnitOutcome } from './poll.js';
import { PortKeeper } from './port-keeper.js';

export interface ModbusSourceOptions {
  /**
   * Silence kept before each request (milliseconds). Default: 3.5 character times at the port's
   * baud rate, or 1.75 ms above 19200 baud (Modbus over Serial Line V1.02 §2.5.1.1). It is waited
   * on the injected clock, so tests that drive a FakeClock by hand pass 0.
   */
  readonly interFrameMs?: number;
  /** Random source for the reconnect jitter (default Math.random). */
  readonly random?: () => number;
  /**
   * How serialport reaches the hardware, used as given (default: the platform's binding made to
   * report a hung-up port, see ../serial-io/hangup-binding.ts); tests may pass a mock.
   */
  readonly binding?: SerialBinding;
}

interface UnitState {
  readonly plan: UnitPlan;
  /** Whether the unit's last poll gave a reading; undefined before its first poll. */
  lastOk?: boolean;
  lastError?: TributaryError;
  lastPollAt?: number;
}

export class ModbusSource extends Resource implements Source {
  readonly name: string;
  readonly #config: ModbusPortConfig;
  readonly #ctx: SourceContext;
  readonly #m: ModbusMetrics;
  readonly #units: readonly UnitState[];
  readonly #port: PortKeeper;
  #pollTimer: TimerHandle | undefined;
  #polling: Promise<void> | undefined;
  #lastPollAt: number | undefined;
  /** Readings finished after pause(); at most one, as polling stops before the next unit. */
  #held: RawMessage[] = [];
  #paused = false;
  #stopping = false;

  constructor(config: ModbusPortConfig, ctx: SourceContext, options: ModbusSourceOptions = {}) {
    super();
    this.name = `modbus:${config.path}`;
    this.#config = config;
    this.#ctx = ctx;
    this.#units = config.units.map((u) => ({ plan: planUnit(u) }));
    this.#m = modbusMetrics(ctx.metrics, config.path);
    const { path, baudRate, dataBits, parity, stopBits } = config;
    this.#port = new PortKeeper({
      line: { path, baudRate, dataBits, parity, stopBits },
      binding: options.binding ?? hangUpAware(SerialPort.binding),
      clock: ctx.clock,
      log: ctx.log,
      interFrameMs: options.interFrameMs ?? interFrameMs(config),
      backoff: { initialMs: config.reconnectInitialMs, maxMs: config.reconnectMaxMs },
      random: options.random ?? Math.random,
      onUp: () => {
        this.#m.setConnected(true);
        this.#schedulePoll();
      },
      onDown: () => {
        this.#m.setConnected(false);
        this.#clearPollTimer();
      },
    });
  }

  /** Whether the serial port is open now. */
  get connected(): boolean {
    return this.#port.link !== undefined;
  }

  /** Stop polling (a request in flight finishes; its reading is held until resume()). */
  pause(): void {
    this.#paused = true;
    this.#clearPollTimer();
  }

  resume(): void {
    this.#paused = false;
    while (!this.#paused && this.#held.length > 0) this.#ctx.emit(this.#held.shift()!);
    this.#schedulePoll();
  }

  /** ok while the port is open and at least one unit answered its last poll (or none was polled yet). */
  health(): SourceHealth {
    const portError = this.#port.lastError;
    return {
      ok: this.connected && this.#units.some((u) => u.lastOk !== false),
      connected: this.connected,
      path: this.#config.path,
      paused: this.#paused,
      ...(portError ? { portError: { code: portError.code, message: portError.message } } : {}),
      units: this.#units.map((u) => ({
        device: u.plan.device,
        unitId: u.plan.unitId,
        ok: u.lastOk ?? null,
        lastPollAt: u.lastPollAt ?? null,
        lastError: u.lastError ? { code: u.lastError.code, message: u.lastError.message } : null,
      })),
    };
  }

  /** Resolves after the first attempt to open the port, whether or not the port is there. */
  protected async _open(): Promise<void> {
    await this.#port.open();
  }

  protected async _close(): Promise<void> {
    this.#stopping = true;
    this.#clearPollTimer();
    // Closing the port fails the request in flight, so the poll ends promptly.
    await this.#port.close();
    await this.#polling;
    this.#m.setConnected(false);
    // Delivered rather than lost, as the MQTT sources do with what they hold at close.
    const held = this.#held;
    this.#held = [];
    for (const message of held) this.#ctx.emit(message);
    this.#ctx.log.info({ path: this.#config.path }, 'Modbus source closed');
  }

  /** Start the next poll when it is due: pollIntervalMs after the last one started, never overlapping it. */
  #schedulePoll(): void {
    if (!this.#port.link || this.#paused || this.#stopping || this.#polling || this.#pollTimer) return;
    const delay = this.#lastPollAt === undefined ? 0 : this.#lastPollAt + this.#config.pollIntervalMs - this.#ctx.clock.now();
    if (delay <= 0) return this.#startPoll();
    this.#pollTimer = this.#ctx.clock.setTimeout(() => {
      this.#pollTimer = undefined;
      this.#startPoll();
    }, delay);
  }

  #startPoll(): void {
    const link = this.#port.link;
    if (!link || this.#paused || this.#stopping || this.#polling) return;
    this.#polling = this.#poll(link)
      .catch((err: unknown) => this.#ctx.log.error({ err, path: this.#config.path }, 'Modbus poll failed unexpectedly'))
      .finally(() => {
        this.#polling = undefined;
        this.#schedulePoll();
      });
  }

  async #poll(link: RtuLink): Promise<void> {
    const { clock } = this.#ctx;
    const ts = clock.now();
    this.#lastPollAt = ts;
    this.#m.polls.inc();
    const options = { timeoutMs: this.#config.timeoutMs, retries: this.#config.retries, metrics: this.#m, stopping: () => this.#stopping };
    for (const unit of this.#units) {
      if (this.#port.link !== link || this.#paused || this.#stopping) return;
      const outcome = await pollUnit(link, unit.plan, options);
      if (!outcome.ok && outcome.aborted) return;
      this.#record(unit, outcome, ts);
      if (!outcome.ok) continue;
      const message: RawMessage = {
        source: this.name,
        topic: this.#config.path,
        device: unit.plan.device,
        payload: readingPayload(ts, outcome.values),
        receivedAt: clock.now(),
      };
      if (this.#paused) this.#held.push(message);
      else this.#ctx.emit(message);
    }
  }

  /** Keep the unit's state for health(); log when it starts failing, fails differently, or recovers. */
  #record(unit: UnitState, outcome: UnitOutcome, ts: number): void {
    const { device, unitId } = unit.plan;
    const path = this.#config.path;
    if (outcome.ok) {
      if (unit.lastOk === false) this.#ctx.log.info({ path, device, unitId }, 'Modbus unit answering again');
    } else if (unit.lastOk !== false || unit.lastError?.code !== outcome.error.code) {
      this.#ctx.log.warn({ path, device, unitId, code: outcome.error.code, err: outcome.error.message }, 'Modbus unit reading skipped');
    }
    unit.lastOk = outcome.ok;
    unit.lastError = outcome.ok ? undefined : outcome.error;
    unit.lastPollAt = ts;
  }

  #clearPollTimer(): void {
    if (this.#pollTimer) this.#ctx.clock.clear(this.#pollTimer);
    this.#pollTimer = undefined;
  }
}

/** t3.5 for this line in milliseconds (Modbus over Serial Line V1.02 §2.5.1.1). */
export function interFrameMs(line: Pick<ModbusPortConfig, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>): number {
  if (line.baudRate > 19200) return 1.75;
  const bitsPerChar = 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
  return (3.5 * bitsPerChar * 1000) / line.baudRate;
}

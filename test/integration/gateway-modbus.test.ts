// The gateway polling the simulator's Modbus RTU slave over a socat pty pair: scaled register
// values become readings and window summaries, and line faults are counted, never fatal.

import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, hasSocat, type PtyPair } from '../../devices/transport/pty-pair.js';
import { ModbusRtuSlave } from '../../devices/transport/modbus-slave.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gateway: TestGateway | undefined;
let slave: ModbusRtuSlave | undefined;
let pty: PtyPair | undefined;
afterEach(async () => {
  await gateway?.[Symbol.asyncDispose]();
  await slave?.close();
  await pty?.close();
  gateway = slave = pty = undefined;
});

describe.skipIf(!hasSocat())('gateway ← Modbus RTU slave over a pty (skips without socat)', () => {
  it('turns scaled registers into readings and summaries, counting a CRC fault and a timeout', async () => {
    pty = await openPtyPair();
    slave = new ModbusRtuSlave({ path: pty.devicePath, unitIds: [1, 2] });
    await slave.open();
    // Unit 1: pressure 2.50 bar as uint16 hundredths; unit 2: temperature as a float32, low word first.
    slave.setValue(1, 3, 0, 2.5, { type: 'uint16', wordOrder: 'big', byteOrder: 'big' }, { scale: 0.01, offset: 0 });
    slave.setValue(2, 4, 10, -12.75, { type: 'float32', wordOrder: 'little', byteOrder: 'big' }, { scale: 1, offset: 0 });
    gateway = await startGateway({
      windows: { definitions: [{ kind: 'tumbling', sizeMs: 500 }], maxOutOfOrdernessMs: 0, allowedLatenessMs: 0 },
      modbus: [
        {
          path: pty.gatewayPath,
          pollIntervalMs: 50,
          timeoutMs: 100,
          retries: 1,
          units: [
            { device: 'pump-1', unitId: 1, registers: [{ metric: 'pressure', function: 3, address: 0, type: 'uint16', scale: 0.01 }] },
            { device: 'chiller-2', unitId: 2, registers: [{ metric: 'temp', function: 4, address: 10, type: 'float32', wordOrder: 'little' }] },
          ],
        },
      ],
    });
    const gw = gateway;
    await waitFor(() => gw.summaries.some((s) => s.device === 'pump-1') && gw.summaries.some((s) => s.device === 'chiller-2'), 'a closed window per unit');
    const pressure = gw.summaries.find((s) => s.device === 'pump-1' && s.metric === 'pressure')!;
    const temp = gw.summaries.find((s) => s.device === 'chiller-2' && s.metric === 'temp')!;
    expect(pressure.features).toMatchObject({ min: 2.5, max: 2.5, mean: 2.5 });
    expect(temp.features).toMatchObject({ min: -12.75, max: -12.75 });

    // One corrupted answer and one missing answer: counted, retried, and polling goes on.
    const port = pty.gatewayPath;
    slave.corruptNextResponses(1, 1);
    slave.dropNextResponses(1, 2);
    await waitFor(
      () => gw.metric(`tributary_modbus_errors_total{port="${port}",unit="1",kind="crc"}`) >= 1 && gw.metric(`tributary_modbus_errors_total{port="${port}",unit="2",kind="timeout"}`) >= 1,
      'the CRC fault and the timeout counted',
    );
    const decoded = gw.metric('tributary_readings_decoded_total');
    await waitFor(() => gw.metric('tributary_readings_decoded_total') >= decoded + 4, 'polling to continue after the faults');
    expect(gw.gateway.health().ok).toBe(true);
    expect(gw.metric('tributary_dead_letters_total{reason="wrong_type"}')).toBe(0);
  });
});

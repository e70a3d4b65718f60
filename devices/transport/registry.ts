// The one place a scenario group's `transport` becomes a Transport: MQTT devices share one
// MqttTransport (a connection each); each serial or Modbus group gets its own line.

import type { FleetDevice } from '../fleet.js';
import type { FleetPlan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { SimulatedDevice } from '../simulated-device.js';
import { metricNames } from '../signals/registry.js';
import type { Transport } from './contract.js';
import { ModbusTransport } from './modbus.js';
import { MqttTransport } from './mqtt.js';
import { SerialTransport } from './serial.js';

export interface BuiltFleet {
  readonly devices: readonly FleetDevice[];
  readonly transports: readonly Transport[];
}

/** Streams and transports for every planned device. `gatewayUrl` overrides scenario.gateway.url. */
export function buildFleet(scenario: Scenario, plan: FleetPlan, gatewayUrl = scenario.gateway.url): BuiltFleet {
  const g = scenario.gateway;
  const mqttDevices = plan.devices.filter((d) => d.group.transport === 'mqtt').map((d) => d.id);
  const mqtt = mqttDevices.length
    ? new MqttTransport({
        url: gatewayUrl,
        topicPrefix: g.topicPrefix,
        devices: mqttDevices,
        qos: g.qos,
        maxInFlight: g.maxInFlight,
        reconnectMs: g.reconnectMs,
        password: (device) => g.passwords?.[device] ?? g.password?.replaceAll('{device}', device),
      })
    : undefined;
  const serial = new Map<string, SerialTransport>();
  for (const d of plan.devices) {
    if (d.group.transport !== 'serial' || serial.has(d.groupName)) continue;
    const s = d.group.serial;
    if (!s) throw new TypeError(`group ${d.groupName} has transport serial but no serial options; validation requires them`);
    serial.set(
      d.groupName,
      new SerialTransport({
        name: d.groupName,
        devices: plan.devices.filter((x) => x.groupName === d.groupName).map((x) => x.id),
        framing: s.framing,
        metrics: metricNames(d.group.kind),
        delimiter: s.delimiter,
        ...(s.ptyDir !== undefined ? { ptyDir: s.ptyDir } : {}),
      }),
    );
  }
  const modbus = new Map<string, ModbusTransport>();
  for (const d of plan.devices) {
    if (d.group.transport !== 'modbus' || modbus.has(d.groupName)) continue;
    const ptyDir = d.group.modbus?.ptyDir;
    modbus.set(
      d.groupName,
      new ModbusTransport({
        name: d.groupName,
        devices: plan.devices.filter((x) => x.groupName === d.groupName).map((x) => x.id),
        metrics: metricNames(d.group.kind),
        ...(ptyDir !== undefined ? { ptyDir } : {}),
      }),
    );
  }
  const devices = plan.devices.map((d): FleetDevice => {
    const transport = d.group.transport === 'mqtt' ? mqtt : d.group.transport === 'serial' ? serial.get(d.groupName) : modbus.get(d.groupName);
    if (!transport) throw new TypeError(`no transport for ${d.id} (${d.group.transport})`);
    return { stream: new SimulatedDevice(d, plan.startTime, scenario.durationMs), transport };
  });
  return { devices, transports: [...(mqtt ? [mqtt] : []), ...serial.values(), ...modbus.values()] };
}

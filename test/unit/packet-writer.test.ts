import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withoutPacketNumberCache } from '../../edge/source/mqtt-broker/packet-writer.js';

const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
const mqttPacket = fromAedes('mqtt-packet') as typeof import('mqtt-packet');

function written(packet: import('mqtt-packet').Packet): Promise<number[]> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  mqttPacket.writeToStream(packet, stream as unknown as NodeJS.WritableStream);
  return new Promise((resolve) => setImmediate(() => resolve([...Buffer.concat(chunks)])));
}

describe('withoutPacketNumberCache', () => {
  it('turns off the number cache of the mqtt-packet aedes writes with', () => {
    withoutPacketNumberCache();
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
    withoutPacketNumberCache();
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });

  it.each([
    { messageId: 1, bytes: [0x40, 2, 0, 1] },
    { messageId: 258, bytes: [0x40, 2, 1, 2] },
    { messageId: 65535, bytes: [0x40, 2, 0xff, 0xff] },
  ])('packets still carry their numbers: PUBACK $messageId', async ({ messageId, bytes }) => {
    withoutPacketNumberCache();
    expect(await written({ cmd: 'puback', messageId })).toEqual(bytes);
  });
});

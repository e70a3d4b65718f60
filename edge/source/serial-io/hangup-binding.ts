// Makes serialport's unix binding report a hung-up port instead of spinning on it.
//
// A tty whose other end has gone (an unplugged USB adapter, a pty whose master closed) reads as
// end-of-file: read() returns 0 at once, forever. @serialport/bindings-cpp 13.0.0's unixRead
// treats 0 as "try again" and recurses without waiting (serialport/bindings-cpp#162), so the port
// never closes, the unplug is never noticed, and a CPU spins; test/integration/serial-source shows
// it. The port is opened O_NONBLOCK, where "no data yet" is EAGAIN, never 0: 0 means the device is
// gone. Drop this module once the binding no longer recurses on 0.

import { read as fsRead } from 'node:fs';
import { promisify } from 'node:util';
import type { OpenOptions } from '@serialport/stream';

/** serialport's hardware access layer (`@serialport/bindings-interface`'s BindingInterface). */
export type SerialBinding = OpenOptions['binding'];

const readAsync = promisify(fsRead);

type BindingPort = Awaited<ReturnType<SerialBinding['open']>>;
type ReadResult = Awaited<ReturnType<BindingPort['read']>>;

/** The parts of bindings-cpp's LinuxPortBinding / DarwinPortBinding this relies on. */
interface UnixPort {
  readonly fd: number | null;
  readonly poller: { once(event: 'readable', listener: (err: Error | null) => void): unknown };
}

function isUnixPort(port: object): port is UnixPort {
  return 'fd' in port && (typeof port.fd === 'number' || port.fd === null) && 'poller' in port && typeof (port.poller as { once?: unknown })?.once === 'function';
}

/**
 * `binding` with every port it opens reading through `readUntilHangUp`. Ports that are not unix
 * file descriptors (Windows, mocks) are returned untouched.
 */
export function hangUpAware(binding: SerialBinding): SerialBinding {
  return {
    list: () => binding.list(),
    open: async (options) => {
      const port = await binding.open(options);
      if (!isUnixPort(port)) return port;
      const read = (buffer: Buffer, offset: number, length: number) => readUntilHangUp(port, buffer, offset, length);
      // A Proxy rather than a patched instance: the library's object stays as it made it.
      return new Proxy(port, { get: (target, prop) => (prop === 'read' ? read : Reflect.get(target, prop)) });
    },
  };
}

/** bindings-cpp's unixRead, except that end-of-file is a disconnect (see the top of the file). */
async function readUntilHangUp(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<ReadResult> {
  for (;;) {
    assertOpen(port);
    let bytesRead: number;
    try {
      ({ bytesRead } = await readAsync(port.fd!, buffer, offset, length, null));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw err;
      // Closed while reading: polling a destroyed poller would crash the process (native code).
      assertOpen(port);
      // Nothing to read yet: wait for the poller. It reports cancellation (close()) as an error
      // marked `canceled`; any other error is libuv's POLLERR, which it calls EBADF: a hang-up.
      await new Promise<void>((resolve, reject) =>
        port.poller.once('readable', (e) => (!e ? resolve() : reject((e as { canceled?: boolean }).canceled ? e : hungUp(e)))),
      );
      continue;
    }
    if (bytesRead === 0) {
      // After close() the fd is gone, and a 0 then is the close, not the device.
      assertOpen(port);
      throw hungUp();
    }
    return { buffer, bytesRead };
  }
}

/** `disconnect` marks it for @serialport/stream as a lost device (it closes the port). */
function hungUp(cause?: Error): Error {
  return Object.assign(new Error('the device hung up (unplugged, or the other end closed)', { cause }), { code: 'EHANGUP', disconnect: true });
}

/** `canceled` tells @serialport/stream the port was closed on purpose, not lost. */
function assertOpen(port: UnixPort): void {
  if (port.fd === null) throw Object.assign(new Error('Port is not open'), { canceled: true });
}

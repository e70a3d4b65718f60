// Typed IPC for the benchmark's child processes.

export function send<T>(message: T): void {
  process.send?.(message);
}

/** Send a last message, then drop the IPC channel so the process can exit once its sockets close. */
export function sendLast<T>(message: T): void {
  process.send?.(message, undefined, {}, () => process.disconnect());
}

export function onMessage<T>(handler: (message: T) => void | Promise<void>): void {
  process.on('message', (m) => void handler(m as T));
}

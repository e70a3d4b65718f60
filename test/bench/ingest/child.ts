// Typed IPC for the benchmark's child processes.

export function send<T>(message: T): void {
  process.send?.(message);
}

export function onMessage<T>(handler: (message: T) => void | Promise<void>): void {
  process.on('message', (m) => void handler(m as T));
}

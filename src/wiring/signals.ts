/**
 * SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C) start a graceful shutdown; a second one
 * exits at once. SIGHUP is left alone: terminals send it on close and supervisors use it for
 * reloads, neither of which should drop in-flight polls.
 */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function onShutdownSignal(shutdown: (signal: string) => Promise<void>, log: (message: string) => void): void {
  let shuttingDown = false;
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => {
      if (shuttingDown) {
        log(`${signal} again: exiting now`);
        process.exit(130);
      }
      shuttingDown = true;
      shutdown(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

/**
 * Calls `stop` once on the first SIGINT/SIGTERM; a second signal exits at once
 * (Ctrl-C twice when a shutdown hangs). `supervised`: a web process under `marg serve`'s
 * supervisor (src/platform/web-cluster.ts), which may get the same stop twice (Ctrl-C reaches
 * the whole process group, and the supervisor forwards it): repeats are ignored, the
 * supervisor is the one that gives up waiting.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>, mode: 'interactive' | 'supervised' = 'interactive'): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping && mode === 'supervised') return;
    if (stopping) {
      process.stderr.write(`marg: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`marg: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * What a backup or restore tells the operator as it goes: on a terminal one line redrawn
 * in place (a bar when the size is known, with bytes and rate); elsewhere a plain line per part.
 */
export interface Progress {
  start(part: string, total: number | undefined): void;
  advance(bytes: number): void;
  done(summary: string): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, done() {} };

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export function terminalProgress(out: NodeJS.WriteStream & { columns?: number }): Progress {
  let part = '';
  let total: number | undefined;
  let bytes = 0;
  let started = 0;
  let drawn = 0;
  const draw = (force: boolean) => {
    const now = performance.now();
    if (!force && now - drawn < REDRAW_MS) return;
    drawn = now;
    const rate = bytes / Math.max((now - started) / 1000, 0.001);
    const bar = total ? `[${'#'.repeat(Math.min(BAR_WIDTH, Math.round((bytes / Math.max(total, 1)) * BAR_WIDTH))).padEnd(BAR_WIDTH, '.')}] ` : '';
    const line = `${part.padEnd(20)} ${bar}${formatBytes(bytes)}${total ? ` / ${formatBytes(total)}` : ''}  ${formatBytes(rate)}/s`;
    out.write(`\r${line.slice(0, (out.columns ?? 100) - 1)}\x1b[K`);
  };
  return {
    start(name, size) {
      part = name;
      total = size;
      bytes = 0;
      started = performance.now();
      draw(true);
    },
    advance(n) {
      bytes += n;
      draw(false);
    },
    done(summary) {
      out.write(`\r\x1b[K${summary}\n`);
    },
  };
}

export function lineProgress(out: NodeJS.WritableStream): Progress {
  return { start() {}, advance() {}, done: (summary) => void out.write(`${summary}\n`) };
}

/** A bar on a terminal, plain lines otherwise. */
export function progressFor(out: NodeJS.WriteStream): Progress {
  return out.isTTY ? terminalProgress(out) : lineProgress(out);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `12.3 MB in 1.2 s (10.2 MB/s)`. */
export function describeTransfer(bytes: number, ms: number): string {
  return `${formatBytes(bytes)} in ${(ms / 1000).toFixed(1)} s (${formatBytes(bytes / Math.max(ms / 1000, 0.001))}/s)`;
}

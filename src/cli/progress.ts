/**
 * Progress of a long command: a bar with the rate redrawn in place on a terminal, plain lines
 * (every `plainEveryMs`, and at the end) otherwise, so logs and CI output stay readable.
 * Hand-written: one bar of ~30 lines does not justify a dependency.
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(done: number, total: number): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr, plainEveryMs = 2_000): Progress {
  const started = performance.now();
  let lastPlain = 0;
  let lastText = '';
  const line = (done: number, total: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    return { text: `${done.toLocaleString('en')}/${total.toLocaleString('en')} ${rate.toLocaleString('en')}/s`, percent };
  };
  const draw = (done: number, total: number, final: boolean) => {
    const { text, percent } = line(done, total);
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${text}\x1b[K${final ? '\n' : ''}`);
      return;
    }
    const now = performance.now();
    const plain = `${label}: ${percent}% ${text}`;
    if ((final || now - lastPlain >= plainEveryMs) && plain !== lastText) {
      lastPlain = now;
      lastText = plain;
      stream.write(`${plain}\n`);
    }
  };
  return { update: (done, total) => draw(done, total, false), finish: (done, total) => draw(done, total, true) };
}

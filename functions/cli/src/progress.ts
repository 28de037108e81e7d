/**
 * A one-line progress bar on a terminal (redrawn in place), or a plain line per update when
 * output is not a TTY, so logs stay readable.
 */
import { bar } from "./format.js";

export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  const line = (done: number, detail = "") => {
    const fraction = total > 0 ? done / total : 1;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return `${label} ${bar(fraction, 30)} ${done}/${total} ${(fraction * 100).toFixed(0)}% ${rate.toFixed(1)}/s${detail ? ` ${detail}` : ""}`;
  };
  return {
    update(done, detail) {
      if (stream.isTTY) stream.write(`\r${line(done, detail)}\u001b[K`);
      else stream.write(`${line(done, detail)}\n`);
    },
    finish(detail) {
      stream.write(`${stream.isTTY ? "\r" : ""}${line(total, detail)}\n`);
    },
  };
}

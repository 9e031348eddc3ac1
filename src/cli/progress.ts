/**
 * A one-line progress counter on stderr for long streams, redrawn at most
 * every 100 ms, shown only when stderr is a terminal: piped or redirected
 * output stays clean.
 */
export interface Progress {
  /** Counts one more message. */
  tick(): void;
  /** Clears the line. */
  done(): void;
}

export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY) {
    return { tick() {}, done() {} };
  }
  let count = 0;
  let drawnAt = 0;
  const start = Date.now();
  const draw = (): void => {
    const seconds = (Date.now() - start) / 1000;
    stream.write(`\r\x1b[K${label}: ${count} messages, ${seconds.toFixed(1)} s`);
  };
  return {
    tick() {
      count++;
      if (Date.now() - drawnAt >= 100) {
        drawnAt = Date.now();
        draw();
      }
    },
    done() {
      if (drawnAt > 0) {
        stream.write("\r\x1b[K");
      }
    },
  };
}

import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

/** A progress display for one loop: a bar on a terminal, plain lines in CI logs and pipes. */
export interface Progress {
  /** `status` is a short text shown after the counts (e.g. "loss 1.23"). */
  update(done: number, status?: string): void;
  stop(status?: string): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  mode?: ProgressMode;
  /** Where lines go (default process.stdout). */
  stream?: NodeJS.WriteStream;
  /** Plain mode: print at most every `intervalMs` and at every `everyFraction` of the total. */
  intervalMs?: number;
  everyFraction?: number;
}

export function createProgress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stdout;
  const mode = o.mode === undefined || o.mode === 'auto' ? (stream.isTTY ? 'bar' : 'plain') : o.mode;
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'bar') return barProgress(o, stream);
  return plainProgress(o, stream);
}

function barProgress(o: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${o.label} [{bar}] {percentage}% {value}/{total} ${o.unit ?? ''} | {eta_formatted} left | {status}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(o.total, 0, { status: '' });
  return {
    update(done, status = '') {
      bar.update(done, { status });
    },
    stop(status) {
      if (status !== undefined) bar.update({ status });
      bar.stop();
    },
  };
}

function plainProgress(o: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const interval = o.intervalMs ?? 10_000;
  // The small epsilon keeps `everyFraction: 1 / total` at one line per item despite rounding.
  const step = Math.max(1, Math.ceil(o.total * (o.everyFraction ?? 0.25) - 1e-9));
  const start = Date.now();
  let lastTime = start;
  let lastMark = 0;
  const line = (done: number, status: string) => {
    const pct = o.total > 0 ? Math.floor((100 * done) / o.total) : 100;
    const secs = (Date.now() - start) / 1000;
    stream.write(`${o.label}: ${done}/${o.total} ${o.unit ?? ''} (${pct}%, ${secs.toFixed(1)}s)${status ? ` ${status}` : ''}\n`);
  };
  return {
    update(done, status = '') {
      const now = Date.now();
      const mark = Math.floor(done / step);
      if (mark > lastMark || now - lastTime >= interval) {
        if (done < o.total) line(done, status);
        lastMark = mark;
        lastTime = now;
      }
    },
    stop(status = '') {
      line(o.total, status);
    },
  };
}

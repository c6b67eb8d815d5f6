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

/** Where a line of text goes: a stream, or the active parent bar's log. */
interface LineSink {
  write(text: string): unknown;
}

/**
 * The bar of a longer job (`hop experiment`'s cells) while it is shown on a terminal. Progress displays made
 * meanwhile become rows under it and log lines are printed above it, so that its redraws never land between
 * the lines of the work it is waiting for.
 */
let parent: { multi: cliProgress.MultiBar; log: (line: string) => void } | null = null;

const barFormat = (o: ProgressOptions) => `${o.label} [{bar}] {percentage}% {value}/{total} ${o.unit ?? ''} | {eta_formatted} left | {status}`;

export function createProgress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stdout;
  const mode = o.mode === undefined || o.mode === 'auto' ? (parent || stream.isTTY ? 'bar' : 'plain') : o.mode;
  if (mode === 'none') return { update() {}, stop() {} };
  if (parent) return mode === 'bar' ? childBar(o, parent) : plainProgress(o, { write: (t) => parent?.log(t.replace(/\n$/, '')) });
  if (mode === 'bar') return barProgress(o, stream);
  return plainProgress(o, stream);
}

/** A progress display that nests what runs inside it, and the log function for the lines of that work. */
export interface ParentProgress extends Progress {
  /** `log` while this display is shown as a bar routes lines above the bar; otherwise `log` itself. */
  wrap(log: (line: string) => void): (line: string) => void;
}

/**
 * Like `createProgress`, but while it is a bar on a terminal every progress display created before `stop` is a
 * row of the same multi-bar (or, `plain`, lines printed above it), and `wrap(log)` prints above it. Only one is
 * active at a time.
 */
export function createParentProgress(o: ProgressOptions): ParentProgress {
  const stream = o.stream ?? process.stdout;
  const mode = o.mode === undefined || o.mode === 'auto' ? (stream.isTTY ? 'bar' : 'plain') : o.mode;
  if (mode !== 'bar' || !stream.isTTY || parent) return { ...createProgress(o), wrap: (log) => log };
  const multi = new cliProgress.MultiBar({ format: barFormat(o), stream, hideCursor: true, etaBuffer: 50, fps: 5 }, cliProgress.Presets.shades_classic);
  const bar = multi.create(o.total, 0, { status: '' });
  // MultiBar prints logged lines at its next redraw; redrawing at once keeps them in order with other output.
  const self = { multi, log: (line: string) => (multi.log(line + '\n'), multi.update()) };
  parent = self;
  return {
    update(done, status = '') {
      bar.update(done, { status });
    },
    stop(status) {
      if (parent !== self) return;
      if (status !== undefined) bar.update({ status });
      multi.stop();
      parent = null;
    },
    wrap: () => self.log,
  };
}

/** A row of the parent's multi-bar; when it stops it leaves its final state as a line above the bars. */
function childBar(o: ProgressOptions, p: NonNullable<typeof parent>): Progress {
  const bar = p.multi.create(o.total, 0, { status: '' }, { format: barFormat(o) });
  let last = 0;
  return {
    update(done, status = '') {
      last = done;
      bar.update(done, { status });
    },
    stop(status = '') {
      p.multi.remove(bar);
      p.log(`${o.label}: ${Math.max(last, o.total)}/${o.total} ${o.unit ?? ''}${status ? ` ${status}` : ''}`);
    },
  };
}

function barProgress(o: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: barFormat(o),
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

function plainProgress(o: ProgressOptions, stream: LineSink): Progress {
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

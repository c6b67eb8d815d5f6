/**
 * Ctrl-C handling for long loops: the first SIGINT asks the loop to stop at the next safe point (it saves
 * a checkpoint and returns); a second one exits at once.
 */
export class InterruptFlag {
  private requested = false;
  private readonly callbacks: (() => void)[] = [];
  private readonly onSignal = () => {
    if (this.requested) {
      process.stderr.write('\nsecond interrupt: exiting without saving\n');
      process.exit(130);
    }
    this.request();
    process.stderr.write('\ninterrupt: stopping at the next safe point; the run says what it saved (Ctrl-C again to exit now)\n');
  };

  get stopRequested(): boolean {
    return this.requested;
  }

  /** For tests and programmatic callers. */
  request(): void {
    this.requested = true;
    for (const f of this.callbacks) f();
  }

  /** Calls `f` when a stop is requested (e.g. to abort an AbortController). */
  onRequest(f: () => void): this {
    this.callbacks.push(f);
    return this;
  }

  /** Removes a callback of `onRequest` (a command done with a caller's flag leaves nothing on it). */
  offRequest(f: () => void): void {
    const i = this.callbacks.indexOf(f);
    if (i >= 0) this.callbacks.splice(i, 1);
  }

  listen(): this {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return this;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * The little a live terminal display needs: escapes that move the cursor back over a line or the
 * screen, a line that is redrawn in place, and a sleep that Ctrl-C cuts short. Only ever used
 * when stdout is a TTY; pipes and files get plain lines.
 */

/** Back to the line's start and erase it. */
export const CLEAR_LINE = '\r\x1b[2K';
/** Cursor home and erase the screen: a full redraw, as `top` does. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Text cut to a terminal's width, so that it never wraps (a wrapped line cannot be redrawn in place). */
export function fitToWidth(text: string, columns: number | undefined): string {
  const width = Math.max((columns || 80) - 1, 10); // 0 or unknown: a terminal that gives no size
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/** A status line at the bottom of the output, redrawn in place and cleared before each printed line. */
export class LiveLine {
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(text: string): void {
    this.out.write(`${CLEAR_LINE}${fitToWidth(text, this.out.columns)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.out.write(CLEAR_LINE);
    this.shown = false;
  }

  /** A line printed above the live line, which the next `draw` puts back. */
  print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Turns Ctrl-C (SIGINT) into an aborted signal, so that a live command stops at its next step and
 * exits with 130, without a stack; a second Ctrl-C exits at once. Returns a function that removes it.
 */
export function abortOnInterrupt(controller: AbortController): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  return () => process.off('SIGINT', onSignal);
}

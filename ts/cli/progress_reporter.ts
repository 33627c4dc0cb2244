/**
 * Progress on stderr, so that stdout holds only the result (and --json stays parseable). On a
 * terminal: a cli-progress bar per phase with its ETA, the running loss and the embedding bytes.
 * Elsewhere (a pipe, a log file, CI): plain lines, at most one a second per phase plus each
 * phase's first and last step, with no control characters.
 */
import cliProgress from "cli-progress";

export interface ProgressUpdate {
  /** e.g. "train", "test", "search", "segment 3". */
  phase: string;
  step: number;
  /** Steps in this phase, when known. */
  total?: number;
  loss?: number;
  bytes?: number;
}

export interface ProgressReporter {
  update(progress: ProgressUpdate): void;
  /** A line of its own (above the bar on a terminal). */
  note(line: string): void;
  /** Ends the current bar; call before writing the result. */
  stop(): void;
}

export interface ReporterOptions {
  stream?: NodeJS.WriteStream;
  /** Nothing but notes. */
  quiet?: boolean;
  /** Default: whether the stream is a terminal. */
  tty?: boolean;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function formatLoss(loss: number | undefined): string {
  return loss === undefined || !Number.isFinite(loss) ? "-" : loss.toPrecision(4);
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

export function progressReporter(options: ReporterOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => undefined, note: (line) => stream.write(`${line}\n`), stop: () => undefined };
  return (options.tty ?? stream.isTTY === true) ? new BarReporter(stream) : new LineReporter(stream);
}

/** One cli-progress bar per phase with a known total; phases without one get plain lines. */
class BarReporter implements ProgressReporter {
  readonly #stream: NodeJS.WriteStream;
  readonly #lines: LineReporter;
  #bar: cliProgress.SingleBar | undefined;
  #phase: string | undefined;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    this.#lines = new LineReporter(stream);
  }

  update(progress: ProgressUpdate): void {
    if (progress.total === undefined || progress.total <= 0) {
      this.stop();
      this.#lines.update(progress);
      return;
    }
    const payload = { phase: progress.phase.padEnd(8), loss: formatLoss(progress.loss),
                      bytes: progress.bytes === undefined ? "-" : formatBytes(progress.bytes) };
    if (this.#bar === undefined || this.#phase !== progress.phase) {
      this.stop();
      this.#phase = progress.phase;
      this.#bar = new cliProgress.SingleBar({
        stream: this.#stream,
        format: "{phase} [{bar}] {percentage}% | ETA {eta_formatted} | loss {loss} | {bytes}",
        hideCursor: true,
        etaBuffer: 50,
        barsize: 30,
      }, cliProgress.Presets.shades_classic);
      this.#bar.start(progress.total, progress.step, payload);
    } else {
      this.#bar.setTotal(progress.total);
      this.#bar.update(progress.step, payload);
    }
  }

  note(line: string): void {
    if (this.#bar === undefined) {
      this.#stream.write(`${line}\n`);
      return;
    }
    // Clear the bar's line, write the note, and let the bar redraw below it.
    this.#stream.write(`\r\x1b[2K${line}\n`);
    this.#bar.render();
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    this.#phase = undefined;
  }
}

/** Plain lines: "train 120/400 (30%) | ETA 3s | loss 0.1821 | 512 KiB". */
class LineReporter implements ProgressReporter {
  readonly #stream: NodeJS.WritableStream;
  #phase: string | undefined;
  #phaseStarted = 0;
  #lastLine = 0;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  update(progress: ProgressUpdate): void {
    const now = performance.now();
    const first = progress.phase !== this.#phase;
    if (first) {
      this.#phase = progress.phase;
      this.#phaseStarted = now;
    }
    const last = progress.total !== undefined && progress.step === progress.total;
    if (!first && !last && now - this.#lastLine < 1000) return;
    this.#lastLine = now;
    const parts = [progress.phase];
    if (progress.total !== undefined && progress.total > 0) {
      const fraction = Math.min(1, progress.step / progress.total);
      const elapsed = (now - this.#phaseStarted) / 1000;
      parts[0] += ` ${progress.step}/${progress.total} (${Math.floor(100 * fraction)}%)`;
      if (!first && !last && fraction > 0) parts.push(`ETA ${formatSeconds(elapsed * (1 - fraction) / fraction)}`);
    } else {
      parts[0] += ` step ${progress.step}`;
    }
    if (progress.loss !== undefined) parts.push(`loss ${formatLoss(progress.loss)}`);
    if (progress.bytes !== undefined) parts.push(formatBytes(progress.bytes));
    this.#stream.write(`${parts.join(" | ")}\n`);
  }

  note(line: string): void {
    this.#stream.write(`${line}\n`);
  }

  stop(): void {
    this.#phase = undefined;
  }
}

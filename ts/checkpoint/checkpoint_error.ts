/**
 * The error a damaged or unreadable checkpoint file raises: truncated, corrupted, not in the
 * format, or missing. Bad arguments to the writers are TypeErrors and RangeErrors instead.
 */
export class CheckpointError extends Error {
  /** The file or directory at fault. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CheckpointError";
    this.path = path;
  }
}

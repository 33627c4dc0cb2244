/**
 * A streaming parser of ratings files: bytes in, typed-array columns out.
 *
 * It reads numbers straight from the bytes, with no string per line or per field, and keeps
 * only the unfinished last line of a chunk between chunks. So a file of any size parses in the
 * memory of its columns (20 bytes a row) plus one chunk. Strings are made only for a header
 * line and for the text of an error message.
 *
 * Formats (methods.md A4):
 * - "u.data" (ml-100k): `user<TAB>item<TAB>rating<TAB>timestamp`, no header.
 * - "ratings.dat" (ml-1m, ml-10m): `user::item::rating::timestamp`, no header.
 * - "ratings.csv" (ml-20m, ml-25m, ml-latest): `userId,movieId,rating,timestamp` after a header.
 * - "csv": any delimiter, an optional header, and columns chosen by index or header name; the
 *   rating column may be absent (implicit feedback: every row rates 1) and so may the
 *   timestamp column (the row's position in the file stands in for its time).
 * The three MovieLens formats take exactly 4 fields a line; "csv" takes at least as many as
 * its highest chosen column needs. Lines may end in LF or CRLF, blank lines are ignored, and
 * fields may carry spaces or double quotes around the number.
 */
import { RatingsBuilder, type RatingsDataset } from "./dataset.js";

export type RatingsFormat = "u.data" | "ratings.dat" | "ratings.csv" | "csv";
export const ratingsFormats: readonly RatingsFormat[] = ["u.data", "ratings.dat", "ratings.csv", "csv"];

/** A column by 0-based index, or by its name in the header line. */
export type ColumnRef = number | string;

export interface RatingsColumns {
  user: ColumnRef;
  item: ColumnRef;
  /** null: no rating column; each row rates 1. */
  rating: ColumnRef | null;
  /** null: no timestamp column; each row's index in the file is its time. */
  timestamp: ColumnRef | null;
}

/** How to read the fields of a line: the resolved form of a format and its options. */
export interface RatingsLayout {
  readonly delimiter: string;
  /** true: the first non-blank line is a header; "auto": it is one if none of its fields is a number. */
  readonly header: boolean | "auto";
  readonly columns: RatingsColumns;
  /** Exactly this many fields a line, or 0 for "at least as many as the columns need". */
  readonly exactFields: number;
}

export const movieLensLayouts: Readonly<Record<Exclude<RatingsFormat, "csv">, RatingsLayout>> = {
  "u.data": { delimiter: "\t", header: false, columns: positional(), exactFields: 4 },
  "ratings.dat": { delimiter: "::", header: false, columns: positional(), exactFields: 4 },
  "ratings.csv": { delimiter: ",", header: "auto", columns: positional(), exactFields: 4 },
};

function positional(): RatingsColumns {
  return { user: 0, item: 1, rating: 2, timestamp: 3 };
}

/**
 * A line that cannot be read as a rating, or a file that holds none. `line` is 1-based and
 * counts every line, the header and blank ones included; `content` is the line's text.
 */
export class DataFormatError extends RangeError {
  override name = "DataFormatError";
  readonly source: string;
  readonly line: number | undefined;
  readonly content: string | undefined;

  constructor(source: string, line: number | undefined, content: string | undefined, reason: string) {
    super(line === undefined ? `${source} ${reason}` : `${source}:${line}: ${reason}: ${JSON.stringify(content)}`);
    this.source = source;
    this.line = line;
    this.content = content;
  }
}

export interface ParsedRatings {
  dataset: RatingsDataset;
  /** Malformed lines skipped (only with skipMalformed; otherwise the first one throws). */
  skippedLines: number;
}

const newline = 0x0a;
const carriageReturn = 0x0d;
const space = 0x20;
const tab = 0x09;
const quote = 0x22;
const maxContentChars = 200;
// 10^k for the fraction digits; 10^22 is the largest power of ten a double holds exactly, so
// digits / 10^k is correctly rounded (Clinger's fast path) for up to 15 significant digits.
const powersOfTen = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Feeds chunks of a file through `push` and gets the columns from `end`. The chunks may be
 * reused by the caller after `push` returns.
 * @internal
 */
export class RatingsParser {
  readonly #source: string;
  readonly #delimiter: Uint8Array;
  readonly #exactFields: number;
  readonly #skipMalformed: boolean;
  readonly #builder = new RatingsBuilder();
  #header: boolean | "auto";
  readonly #columns: RatingsColumns;
  // Resolved column indices (-1: absent) and the number of leading fields a line must have.
  #userColumn = -1;
  #itemColumn = -1;
  #ratingColumn = -1;
  #timestampColumn = -1;
  #neededFields = 0;
  readonly #fieldStart = new Int32Array(64);
  readonly #fieldEnd = new Int32Array(64);
  #carry: Uint8Array = new Uint8Array(0);
  #lineNumber = 0;
  #sawFirstLine = false;
  #skipped = 0;
  // Bytes in finished lines, and the expected total (a file's size), to size the columns.
  #bytesSeen = 0;
  readonly #expectedBytes: number;

  constructor(source: string, layout: RatingsLayout, options: { skipMalformed?: boolean; expectedBytes?: number } = {}) {
    this.#source = source;
    this.#delimiter = new TextEncoder().encode(layout.delimiter);
    this.#exactFields = layout.exactFields;
    this.#skipMalformed = options.skipMalformed ?? false;
    this.#expectedBytes = options.expectedBytes ?? 0;
    this.#header = layout.header;
    this.#columns = layout.columns;
    if (this.#delimiter.length === 0) throw new RangeError("delimiter must not be empty");
    const names = namedColumns(layout.columns);
    if (names.length > 0 && layout.header === false) {
      throw new TypeError(`columns ${names.join(", ")} are given by name, which needs header: true or "auto"`);
    }
    if (names.length > 0) this.#header = true;
    else this.#resolveColumns(undefined);
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.#carry.length > 0) {
      const end = chunk.indexOf(newline);
      if (end < 0) {
        this.#carry = concatenate(this.#carry, chunk);
        return;
      }
      const line = concatenate(this.#carry, chunk.subarray(0, end));
      this.#carry = new Uint8Array(0);
      this.#line(line, 0, line.length);
      start = end + 1;
    }
    for (let end = chunk.indexOf(newline, start); end >= 0; end = chunk.indexOf(newline, start)) {
      this.#line(chunk, start, end);
      start = end + 1;
    }
    // A copy, as the caller may reuse the chunk (and Buffer's slice is a view, not a copy).
    if (start < chunk.length) {
      this.#carry = new Uint8Array(chunk.length - start);
      this.#carry.set(chunk.subarray(start));
    }
  }

  /** Parses the last line (which need not end in a newline) and returns the columns. */
  end(): ParsedRatings {
    if (this.#carry.length > 0) {
      const line = this.#carry;
      this.#carry = new Uint8Array(0);
      this.#line(line, 0, line.length);
    }
    if (this.#builder.length === 0) {
      const skipped = this.#skipped > 0 ? ` (${this.#skipped} malformed lines skipped)` : "";
      throw new DataFormatError(this.#source, undefined, undefined, `holds no ratings${skipped}`);
    }
    return { dataset: this.#builder.finish(), skippedLines: this.#skipped };
  }

  #line(bytes: Uint8Array, start: number, end: number): void {
    const lineNumber = ++this.#lineNumber;
    this.#bytesSeen += end - start + 1;
    if (end > start && bytes[end - 1] === carriageReturn) --end;
    if (!this.#sawFirstLine) {
      // A UTF-8 byte-order mark, as some spreadsheet exports write.
      if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
      if (isBlank(bytes, start, end)) return;
      this.#sawFirstLine = true;
      if (this.#header === true || (this.#header === "auto" && this.#looksLikeHeader(bytes, start, end))) {
        this.#readHeader(bytes, start, end, lineNumber);
        return;
      }
    }

    // Split into fields, keeping the bounds of the first #neededFields.
    const delimiter = this.#delimiter;
    const first = delimiter[0]!;
    const width = delimiter.length;
    const needed = this.#neededFields;
    const fieldStart = this.#fieldStart;
    const fieldEnd = this.#fieldEnd;
    let fields = 0;
    let from = start;
    for (let p = start; p < end;) {
      if (bytes[p] === first && (width === 1 || matchesAt(bytes, p, end, delimiter))) {
        if (fields < needed) {
          fieldStart[fields] = from;
          fieldEnd[fields] = p;
        }
        ++fields;
        p += width;
        from = p;
      } else {
        ++p;
      }
    }
    if (fields < needed) {
      fieldStart[fields] = from;
      fieldEnd[fields] = end;
    }
    ++fields;

    if (fields === 1 && isBlank(bytes, start, end)) return;
    if (this.#exactFields > 0 ? fields !== this.#exactFields : fields < needed) {
      const expected = this.#exactFields > 0 ? `${this.#exactFields}` : `at least ${needed}`;
      this.#malformed(lineNumber, bytes, start, end, `expected ${expected} fields, got ${fields}`);
      return;
    }

    const user = parseNumber(bytes, fieldStart[this.#userColumn]!, fieldEnd[this.#userColumn]!);
    if (!Number.isSafeInteger(user)) {
      this.#malformedField(lineNumber, bytes, start, end, this.#userColumn, "user id", "an integer");
      return;
    }
    const item = parseNumber(bytes, fieldStart[this.#itemColumn]!, fieldEnd[this.#itemColumn]!);
    if (!Number.isSafeInteger(item)) {
      this.#malformedField(lineNumber, bytes, start, end, this.#itemColumn, "item id", "an integer");
      return;
    }
    let rating = 1;
    if (this.#ratingColumn >= 0) {
      rating = parseNumber(bytes, fieldStart[this.#ratingColumn]!, fieldEnd[this.#ratingColumn]!);
      if (!Number.isFinite(rating)) {
        this.#malformedField(lineNumber, bytes, start, end, this.#ratingColumn, "rating", "a number");
        return;
      }
    }
    let timestamp = this.#builder.length;
    if (this.#timestampColumn >= 0) {
      timestamp = parseNumber(bytes, fieldStart[this.#timestampColumn]!, fieldEnd[this.#timestampColumn]!);
      if (!Number.isFinite(timestamp)) {
        this.#malformedField(lineNumber, bytes, start, end, this.#timestampColumn, "timestamp", "a number");
        return;
      }
    }

    const builder = this.#builder;
    if (builder.length === builder.capacity) builder.reserve(this.#nextCapacity());
    builder.push(user, item, rating, timestamp);
  }

  // Capacity for the rows still to come: the rows so far scaled by the bytes still to come,
  // with 5% to spare, so that a file is held about once instead of up to twice (doubling).
  #nextCapacity(): number {
    const rows = this.#builder.length;
    const doubled = Math.max(1024, rows * 2);
    if (this.#expectedBytes <= this.#bytesSeen || rows === 0) return doubled;
    const estimate = Math.ceil((rows * this.#expectedBytes * 1.05) / this.#bytesSeen) + 1024;
    return Math.min(Math.max(estimate, rows + 1024), doubled);
  }

  #looksLikeHeader(bytes: Uint8Array, start: number, end: number): boolean {
    const fields = this.#splitText(bytes, start, end);
    return fields.every((field) => !Number.isFinite(parseFieldText(field)));
  }

  #readHeader(bytes: Uint8Array, start: number, end: number, lineNumber: number): void {
    const names = this.#splitText(bytes, start, end).map(stripQuotes);
    try {
      this.#resolveColumns(names);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new DataFormatError(this.#source, lineNumber, decode(bytes, start, end), error.message);
    }
  }

  #splitText(bytes: Uint8Array, start: number, end: number): string[] {
    return decode(bytes, start, end).split(new TextDecoder().decode(this.#delimiter));
  }

  // Column refs → indices. Names are looked up in the header; without one only indices do.
  #resolveColumns(header: string[] | undefined): void {
    const resolve = (ref: ColumnRef | null, role: string): number => {
      if (ref === null) return -1;
      if (typeof ref === "number") return ref;
      const index = header === undefined ? -1 : header.indexOf(ref);
      if (index < 0) throw new RangeError(`the ${role} column "${ref}" is not in the header`);
      return index;
    };
    this.#userColumn = resolve(this.#columns.user, "user");
    this.#itemColumn = resolve(this.#columns.item, "item");
    this.#ratingColumn = resolve(this.#columns.rating, "rating");
    this.#timestampColumn = resolve(this.#columns.timestamp, "timestamp");
    this.#neededFields = Math.max(this.#userColumn, this.#itemColumn, this.#ratingColumn, this.#timestampColumn) + 1;
  }

  #malformedField(lineNumber: number, bytes: Uint8Array, start: number, end: number,
                  column: number, role: string, wanted: string): void {
    const field = decode(bytes, this.#fieldStart[column]!, this.#fieldEnd[column]!);
    this.#malformed(lineNumber, bytes, start, end, `${role} ${JSON.stringify(field)} (field ${column + 1}) is not ${wanted}`);
  }

  #malformed(lineNumber: number, bytes: Uint8Array, start: number, end: number, reason: string): void {
    if (this.#skipMalformed) {
      ++this.#skipped;
      return;
    }
    let content = decode(bytes, start, end);
    if (content.length > maxContentChars) content = `${content.slice(0, maxContentChars)}…`;
    throw new DataFormatError(this.#source, lineNumber, content, reason);
  }
}

/** Checks a column selection and returns the names among its refs. */
function namedColumns(columns: RatingsColumns): string[] {
  const names: string[] = [];
  for (const role of ["user", "item", "rating", "timestamp"] as const) {
    const ref = columns[role];
    if (ref === null && (role === "rating" || role === "timestamp")) continue;
    if (typeof ref === "string") {
      names.push(ref);
    } else if (typeof ref !== "number" || !Number.isInteger(ref) || ref < 0 || ref > 63) {
      throw new RangeError(`columns.${role} = ${String(ref)} must be a column index in [0, 63] or a header name`);
    }
  }
  return names;
}

/**
 * The number in bytes[start, end), or NaN. Accepts surrounding spaces, tabs and double quotes,
 * a sign, digits with an optional fraction, and (on a slower path) an exponent.
 */
function parseNumber(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && (bytes[start] === space || bytes[start] === tab)) ++start;
  while (end > start && (bytes[end - 1] === space || bytes[end - 1] === tab)) --end;
  if (end - start >= 2 && bytes[start] === quote && bytes[end - 1] === quote) {
    ++start;
    --end;
  }
  const first = start;
  let negative = false;
  if (start < end && (bytes[start] === 0x2d || bytes[start] === 0x2b)) {
    negative = bytes[start] === 0x2d;
    ++start;
  }
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  let dot = false;
  let p = start;
  for (; p < end; ++p) {
    const c = bytes[p]!;
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      ++digits;
      if (dot) ++fractionDigits;
    } else if (c === 0x2e && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits === 0) return NaN;
  if (p < end) {
    const c = bytes[p]!;
    // An exponent: rare in ratings files, so it may take the string path.
    return c === 0x65 || c === 0x45 ? parseFieldText(decode(bytes, first, end)) : NaN;
  }
  if (digits > 15 || fractionDigits > 22) return parseFieldText(decode(bytes, first, end));
  const value = fractionDigits === 0 ? mantissa : mantissa / powersOfTen[fractionDigits]!;
  return negative ? -value : value;
}

/** The number a field's text holds, or NaN (Number() alone reads "" and " " as 0). */
function parseFieldText(text: string): number {
  const trimmed = stripQuotes(text.trim());
  return trimmed === "" ? NaN : Number(trimmed);
}

function stripQuotes(text: string): string {
  const trimmed = text.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

function matchesAt(bytes: Uint8Array, p: number, end: number, pattern: Uint8Array): boolean {
  if (p + pattern.length > end) return false;
  for (let k = 1; k < pattern.length; ++k) if (bytes[p + k] !== pattern[k]) return false;
  return true;
}

function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let p = start; p < end; ++p) {
    const c = bytes[p];
    if (c !== space && c !== tab && c !== carriageReturn) return false;
  }
  return true;
}

const utf8 = new TextDecoder();

function decode(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end));
}

function concatenate(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

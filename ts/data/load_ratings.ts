/**
 * Loading MovieLens-style ratings files into a RatingsDataset.
 *
 * The file is read in chunks (1 MiB by default) into one reused buffer and parsed as it
 * arrives (ratings_parser.ts), so memory is the columns plus one chunk: ml-20m's 533 MB
 * ratings.csv loads in about 0.5 GB. Ids are made dense in order of first appearance.
 *
 * An empty file, or one with a header and no rows, is an error ("… holds no ratings"): a data
 * set with no rows has no use downstream, and an empty file is far more often a failed
 * download or a wrong path than intended.
 */
import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";

import { integerInRange, oneOf, optionsObject } from "../arguments.js";
import {
  movieLensLayouts,
  RatingsParser,
  ratingsFormats,
  type ParsedRatings,
  type RatingsColumns,
  type RatingsFormat,
  type RatingsLayout,
} from "./ratings_parser.js";

export interface RatingsFileOptions {
  /**
   * "auto" (the default) goes by the file name (u.data or *.data; *.dat; ratings.csv) and else
   * by the first line (`::`, a tab, or else a comma).
   */
  format?: RatingsFormat | "auto";
  /** Field delimiter, for "csv" (default ","). Giving it with format "auto" selects "csv". */
  delimiter?: string;
  /** Whether the first line is a header, for "csv" (default "auto": when no field is a number). */
  header?: boolean | "auto";
  /** Which fields hold what, for "csv": 0-based indices or header names (default 0, 1, 2, 3). */
  columns?: Partial<RatingsColumns>;
  /** Skip malformed lines and count them, instead of throwing at the first one. */
  skipMalformed?: boolean;
}

export interface LoadRatingsOptions extends RatingsFileOptions {
  /** Cancels the load between chunks. */
  signal?: AbortSignal;
  /** Bytes read at a time (default 1 MiB). */
  chunkBytes?: number;
}

const defaultChunkBytes = 1 << 20;
const sniffBytes = 1 << 16;

/**
 * Loads a ratings file. Rejects with a DataFormatError (a RangeError) naming the file, the line
 * number and the line for a malformed line, and with an Error naming the path when the file
 * cannot be opened or read.
 *
 * @example
 * const { dataset } = await loadRatings("ml-latest-small/ratings.csv");
 * dataset.numUsers;   // 610
 */
export async function loadRatings(path: string, options?: LoadRatingsOptions): Promise<ParsedRatings> {
  if (typeof path !== "string") throw new TypeError(`path must be a string, got ${typeof path}`);
  const opts = optionsObject(options);
  const chunkBytes = integerInRange(opts.chunkBytes ?? defaultChunkBytes, "chunkBytes", 1, 1 << 30);
  const signal = opts.signal;
  signal?.throwIfAborted();

  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const size = (await handle.stat()).size;
    let first = new Uint8Array(0);
    if ((opts.format ?? "auto") === "auto") {
      const sniff = Buffer.allocUnsafe(Math.min(sniffBytes, Math.max(size, 1)));
      first = sniff.subarray(0, (await readChunk(handle, path, sniff, 0)));
    }
    const layout = ratingsLayout(opts, basename(path), first);
    const parser = new RatingsParser(path, layout, { skipMalformed: opts.skipMalformed ?? false, expectedBytes: size });
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (let position = 0; ; ) {
      signal?.throwIfAborted();
      const bytesRead = await readChunk(handle, path, buffer, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      parser.push(buffer.subarray(0, bytesRead));
    }
    return parser.end();
  } finally {
    await handle.close();
  }
}

/**
 * Parses ratings held in memory, as loadRatings parses a file. `source` names them in error
 * messages and, with format "auto", stands in for the file name.
 */
export function parseRatings(data: Uint8Array | string, options?: RatingsFileOptions & { source?: string }): ParsedRatings {
  const opts = optionsObject(options);
  const source = opts.source ?? "<data>";
  let bytes: Uint8Array;
  if (typeof data === "string") bytes = new TextEncoder().encode(data);
  else if (data instanceof Uint8Array) bytes = data;
  else throw new TypeError(`data must be a string or a Uint8Array, got ${typeof data}`);
  const layout = ratingsLayout(opts, basename(source), bytes.subarray(0, sniffBytes));
  const parser = new RatingsParser(source, layout, { skipMalformed: opts.skipMalformed ?? false, expectedBytes: bytes.length });
  parser.push(bytes);
  return parser.end();
}

/** The format of a ratings file, from its name and else from its first line. */
export function detectFormat(fileName: string, firstBytes: Uint8Array): RatingsFormat {
  const name = basename(fileName).toLowerCase();
  if (name === "u.data" || name.endsWith(".data")) return "u.data";
  if (name.endsWith(".dat")) return "ratings.dat";
  if (name === "ratings.csv") return "ratings.csv";
  let end = firstBytes.indexOf(0x0a);
  if (end < 0) end = firstBytes.length;
  const line = new TextDecoder().decode(firstBytes.subarray(0, end));
  if (line.includes("::")) return "ratings.dat";
  if (line.includes("\t")) return "u.data";
  return "csv";
}

/** The layout for the options: a MovieLens preset, or "csv" with its options applied. */
function ratingsLayout(opts: RatingsFileOptions, fileName: string, firstBytes: Uint8Array): RatingsLayout {
  const format = oneOf(opts.format ?? "auto", "format", [...ratingsFormats, "auto"] as const);
  const csvOptions = (["delimiter", "header", "columns"] as const).filter((key) => opts[key] !== undefined);
  if (format !== "auto" && format !== "csv" && csvOptions.length > 0) {
    throw new TypeError(`${csvOptions.join(", ")} applies only to format "csv", not "${format}"`);
  }
  const resolved = format === "auto" ? detectFormat(fileName, firstBytes) : format;
  const preset: RatingsLayout = resolved === "csv"
    ? { delimiter: ",", header: "auto", columns: { user: 0, item: 1, rating: 2, timestamp: 3 }, exactFields: 0 }
    : movieLensLayouts[resolved];
  if (resolved !== "csv" && csvOptions.length === 0) return preset;

  // "csv", or a detected MovieLens format whose fields the options rearrange.
  const delimiter = opts.delimiter ?? preset.delimiter;
  if (typeof delimiter !== "string" || delimiter.length === 0 || /[\r\n]/.test(delimiter)) {
    throw new TypeError(`delimiter must be a non-empty string without line breaks, got ${JSON.stringify(delimiter)}`);
  }
  const header = opts.header ?? preset.header;
  if (header !== true && header !== false && header !== "auto") {
    throw new TypeError(`header must be true, false or "auto", got ${JSON.stringify(header)}`);
  }
  const columns = optionsObject(opts.columns, "columns");
  return {
    delimiter,
    header,
    columns: {
      user: columns.user ?? 0,
      item: columns.item ?? 1,
      rating: columns.rating === undefined ? 2 : columns.rating,
      timestamp: columns.timestamp === undefined ? 3 : columns.timestamp,
    },
    exactFields: 0,
  };
}

async function readChunk(handle: FileHandle, path: string, buffer: Buffer, position: number): Promise<number> {
  try {
    return (await handle.read(buffer, 0, buffer.length, position)).bytesRead;
  } catch (error) {
    throw fileError(path, error);
  }
}

function fileError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return new Error(`ratings file ${path} does not exist`, { cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`cannot read ratings file ${path}: ${reason}`, { cause: error });
}

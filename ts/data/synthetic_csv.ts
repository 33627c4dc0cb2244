/**
 * Writes synthetic ratings to a file in a MovieLens format, streaming: rows are drawn and
 * written a chunk at a time, so any number of them takes the memory of one chunk (plus the
 * model's parameters). The rows are those generateSynthetic draws for the same options, with
 * their original ids, so loading the file gives generateSynthetic's data set (without fields,
 * which are not written).
 */
import { open } from "node:fs/promises";

import { oneOf, optionsObject } from "../arguments.js";
import { SyntheticModel, type SyntheticOptions } from "./synthetic.js";

export interface WriteSyntheticOptions extends SyntheticOptions {
  /** "ratings.csv" (the default, with a header), "u.data" (tabs) or "ratings.dat" (`::`). */
  format?: "ratings.csv" | "u.data" | "ratings.dat";
  /** Cancels the write between chunks (the partial file is left). */
  signal?: AbortSignal;
}

export interface WrittenRatings {
  rows: number;
  bytes: number;
  /** Distinct users and items in the file. */
  numUsers: number;
  numItems: number;
}

const chunkRows = 1 << 16;
// "0.5", "1.0", …, "5.0" by twice the rating.
const ratingText = Array.from({ length: 11 }, (_, k) => (k / 2).toFixed(1));

export async function writeSyntheticRatings(path: string, options: WriteSyntheticOptions): Promise<WrittenRatings> {
  if (typeof path !== "string") throw new TypeError(`path must be a string, got ${typeof path}`);
  const opts = optionsObject(options);
  const format = oneOf(opts.format ?? "ratings.csv", "format", ["ratings.csv", "u.data", "ratings.dat"] as const);
  const signal = opts.signal;
  // The writer draws no fields: the ratings do not depend on them.
  const model = new SyntheticModel({ ...(opts as SyntheticOptions), numFields: undefined, fieldCardinalities: undefined });
  const delimiter = format === "ratings.csv" ? "," : format === "u.data" ? "\t" : "::";
  const seenUsers = new Uint8Array(model.numUsers + 1);
  const seenItems = new Uint8Array(model.numItems + 1);
  let numUsers = 0;
  let numItems = 0;
  let bytes = 0;

  const users = new Int32Array(chunkRows);
  const items = new Int32Array(chunkRows);
  const ratings = new Float32Array(chunkRows);
  const timestamps = new Float64Array(chunkRows);
  signal?.throwIfAborted();
  const handle = await open(path, "w");
  try {
    if (format === "ratings.csv") bytes += (await handle.write("userId,movieId,rating,timestamp\n")).bytesWritten;
    for (let done = 0; done < model.numRatings;) {
      signal?.throwIfAborted();
      const count = Math.min(chunkRows, model.numRatings - done);
      model.draw(users.subarray(0, count), items.subarray(0, count), ratings.subarray(0, count), timestamps.subarray(0, count));
      let text = "";
      for (let r = 0; r < count; ++r) {
        const user = users[r]!;
        const item = items[r]!;
        if (seenUsers[user] === 0) {
          seenUsers[user] = 1;
          ++numUsers;
        }
        if (seenItems[item] === 0) {
          seenItems[item] = 1;
          ++numItems;
        }
        text += `${user}${delimiter}${item}${delimiter}${ratingText[ratings[r]! * 2]}${delimiter}${timestamps[r]}\n`;
      }
      bytes += (await handle.write(text)).bytesWritten;
      done += count;
    }
  } finally {
    await handle.close();
  }
  return { rows: model.numRatings, bytes, numUsers, numItems };
}

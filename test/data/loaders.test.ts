import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

import type { RatingsDataset } from "../../ts/data/dataset.js";
import { detectFormat, loadRatings, parseRatings } from "../../ts/data/load_ratings.js";
import { DataFormatError } from "../../ts/data/ratings_parser.js";
import { generateSynthetic } from "../../ts/data/synthetic.js";
import { writeSyntheticRatings } from "../../ts/data/synthetic_csv.js";
import { randomInt, rng, testSeed } from "../support/random.js";
import { expectSameDataset } from "./dataset_assertions.js";

const directory = mkdtempSync(join(tmpdir(), "mixdim-loaders-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, text: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

interface Row { user: number; item: number; rating: number; timestamp: number }

/** An independent reference: split strings, Number(), ids remapped with a Map. */
function reference(rows: Row[]): RatingsDataset {
  const userIndex = new Map<number, number>();
  const itemIndex = new Map<number, number>();
  const dense = (map: Map<number, number>, id: number): number => {
    if (!map.has(id)) map.set(id, map.size);
    return map.get(id)!;
  };
  return {
    users: Int32Array.from(rows, (row) => dense(userIndex, row.user)),
    items: Int32Array.from(rows, (row) => dense(itemIndex, row.item)),
    ratings: Float32Array.from(rows, (row) => row.rating),
    timestamps: Float64Array.from(rows, (row) => row.timestamp),
    numUsers: userIndex.size,
    numItems: itemIndex.size,
    userIds: Float64Array.from(userIndex.keys()),
    itemIds: Float64Array.from(itemIndex.keys()),
  };
}

function randomRows(random: () => number, count: number): Row[] {
  return Array.from({ length: count }, () => ({
    user: randomInt(random, 1, 60),
    // Some large ids, which take the Map path instead of the flat table.
    item: random() < 0.1 ? randomInt(random, 2 ** 24, 2 ** 40) : randomInt(random, 1, 300),
    rating: randomInt(random, 1, 11) / 2,
    timestamp: randomInt(random, 8e8, 1.5e9),
  }));
}

const formats = [
  { name: "u.data", format: "u.data", line: (r: Row) => `${r.user}\t${r.item}\t${r.rating}\t${r.timestamp}`, header: "" },
  { name: "ratings.dat", format: "ratings.dat", line: (r: Row) => `${r.user}::${r.item}::${r.rating}::${r.timestamp}`, header: "" },
  {
    name: "ratings.csv", format: "ratings.csv",
    line: (r: Row) => `${r.user},${r.item},${r.rating.toFixed(1)},${r.timestamp}`, header: "userId,movieId,rating,timestamp\n",
  },
  { name: "plain.csv", format: "csv", line: (r: Row) => `${r.user},${r.item},${r.rating},${r.timestamp}`, header: "" },
] as const;

describe("loadRatings: formats", () => {
  for (const { name, format, line, header } of formats) {
    it(`reads ${format} as the reference does, with ids dense in first-appearance order`, async () => {
      const random = rng(testSeed(`loaders ${format}`));
      const rows = randomRows(random, 3000);
      const path = file(name, header + rows.map(line).join("\n") + "\n");
      const { dataset, skippedLines } = await loadRatings(path);
      expect(skippedLines).toBe(0);
      expectSameDataset(dataset, reference(rows));
      // The format named explicitly reads the same.
      expectSameDataset((await loadRatings(path, { format })).dataset, dataset);
    });
  }

  it("gives the same columns whatever the chunk size, so lines split across chunks join up", async () => {
    const random = rng(testSeed("loaders chunks"));
    const rows = randomRows(random, 400);
    const path = file("chunks.dat", rows.map(formats[1].line).join("\r\n"));
    const expected = reference(rows);
    for (const chunkBytes of [1, 2, 3, 7, 64, 1000]) {
      expectSameDataset((await loadRatings(path, { chunkBytes })).dataset, expected);
    }
  });

  it("reads CRLF line ends, a byte-order mark, blank lines, spaces and quotes around numbers", () => {
    const text = "\uFEFFuserId,movieId,rating,timestamp\r\n\r\n 7 ,\"9\",4.5,100\r\n\n8,9, 3 ,\"101\"\r\n   \r\n";
    const { dataset } = parseRatings(text, { source: "ratings.csv" });
    expectSameDataset(dataset, reference([
      { user: 7, item: 9, rating: 4.5, timestamp: 100 },
      { user: 8, item: 9, rating: 3, timestamp: 101 },
    ]));
  });

  it("reads a last line with no newline, negative ids, exponents and fractional times", () => {
    const { dataset } = parseRatings("-3\t5\t2.5\t1.5e9\n-3\t6\t4\t12.25", { format: "u.data" });
    expect(Array.from(dataset.userIds)).toEqual([-3]);
    expect(Array.from(dataset.itemIds)).toEqual([5, 6]);
    expect(Array.from(dataset.timestamps)).toEqual([1.5e9, 12.25]);
  });

  it("reads a generic CSV by header names, in any column order, with another delimiter", () => {
    const text = "ts;rating;extra;item;user\n50;4;x;10;1\n40;2;y;11;2\n";
    const { dataset } = parseRatings(text, {
      format: "csv", delimiter: ";", columns: { user: "user", item: "item", rating: "rating", timestamp: "ts" },
    });
    expectSameDataset(dataset, reference([
      { user: 1, item: 10, rating: 4, timestamp: 50 },
      { user: 2, item: 11, rating: 2, timestamp: 40 },
    ]));
  });

  it("reads a generic CSV without rating or timestamp columns: ratings are 1 and times are row indices", () => {
    const { dataset } = parseRatings("5,6\n5,7\n6,6\n", { columns: { rating: null, timestamp: null } });
    expect(Array.from(dataset.ratings)).toEqual([1, 1, 1]);
    expect(Array.from(dataset.timestamps)).toEqual([0, 1, 2]);
    expect(Array.from(dataset.users)).toEqual([0, 0, 1]);
    expect(Array.from(dataset.items)).toEqual([0, 1, 0]);
  });

  it("detects the format from the file name, else from the first line", () => {
    const none = new Uint8Array(0);
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(detectFormat("/x/ml-100k/u.data", none)).toBe("u.data");
    expect(detectFormat("ua.base.data", none)).toBe("u.data");
    expect(detectFormat("ml-1m/ratings.dat", none)).toBe("ratings.dat");
    expect(detectFormat("ml-20m/ratings.csv", none)).toBe("ratings.csv");
    expect(detectFormat("log.txt", bytes("1::2::3::4\n"))).toBe("ratings.dat");
    expect(detectFormat("log.txt", bytes("1\t2\t3\t4\n"))).toBe("u.data");
    expect(detectFormat("log.csv", bytes("1,2,3,4\n"))).toBe("csv");
  });
});

describe("loadRatings: id remapping", () => {
  it("numbers users and items 0, 1, 2, … in order of first appearance and keeps the original ids", () => {
    const { dataset } = parseRatings("196\t242\t3\t1\n186\t302\t3\t2\n196\t302\t1\t3\n22\t242\t2\t4\n", { format: "u.data" });
    expect(Array.from(dataset.users)).toEqual([0, 1, 0, 2]);
    expect(Array.from(dataset.items)).toEqual([0, 1, 1, 0]);
    expect(Array.from(dataset.userIds)).toEqual([196, 186, 22]);
    expect(Array.from(dataset.itemIds)).toEqual([242, 302]);
    expect([dataset.numUsers, dataset.numItems]).toEqual([3, 2]);
  });

  it("keeps ids apart that the flat table and the Map would both see (0, 2^24 − 1, 2^24, 2^53 − 1)", () => {
    const ids = [0, 2 ** 24 - 1, 2 ** 24, 2 ** 53 - 1, 0, 2 ** 24];
    const { dataset } = parseRatings(ids.map((id, t) => `${id},1,1,${t}`).join("\n"), { format: "csv" });
    expect(Array.from(dataset.users)).toEqual([0, 1, 2, 3, 0, 2]);
    expect(Array.from(dataset.userIds)).toEqual([0, 2 ** 24 - 1, 2 ** 24, 2 ** 53 - 1]);
  });
});

describe("loadRatings: errors", () => {
  it("names the file, the line number and the line for a malformed line", async () => {
    const path = file("bad.csv", "userId,movieId,rating,timestamp\n1,2,3.5,10\n\n1,2,x,11\n1,3,4,12\n");
    const error: DataFormatError = await loadRatings(path).then(() => { throw new Error("no error"); }, (e) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.line).toBe(4);
    expect(error.content).toBe("1,2,x,11");
    expect(error.message).toBe(`${path}:4: rating "x" (field 3) is not a number: "1,2,x,11"`);
  });

  it("reports a wrong field count, a non-integer id and a bad timestamp", () => {
    expect(() => parseRatings("1\t2\t3\n", { format: "u.data", source: "u.data" }))
      .toThrow('u.data:1: expected 4 fields, got 3: "1\\t2\\t3"');
    expect(() => parseRatings("1::2::3::4::5\n", { source: "ratings.dat" })).toThrow("expected 4 fields, got 5");
    expect(() => parseRatings("1.5,2,3,4\n", { format: "csv" })).toThrow('user id "1.5" (field 1) is not an integer');
    expect(() => parseRatings("1,2,3,4\n1,b2,3,4\n", { format: "csv" })).toThrow('<data>:2: item id "b2" (field 2) is not an integer');
    expect(() => parseRatings("1,2,3,soon\n1,2,3,4\n", { format: "csv", header: false }))
      .toThrow('timestamp "soon" (field 4) is not a number');
    expect(() => parseRatings("1,2\n", { format: "csv" })).toThrow("expected at least 4 fields, got 2");
  });

  it("skips malformed lines and counts them when asked to", () => {
    const text = "1,2,3,4\n1,2,x,5\n1,2\n2,3,4,6\n,,,\n";
    const { dataset, skippedLines } = parseRatings(text, { format: "csv", skipMalformed: true });
    expect(skippedLines).toBe(3);
    expect(Array.from(dataset.timestamps)).toEqual([4, 6]);
  });

  it("rejects an empty file, a header-only file and a file of only malformed lines", async () => {
    const empty = file("empty.csv", "");
    await expect(loadRatings(empty)).rejects.toThrow(`${empty} holds no ratings`);
    await expect(loadRatings(file("header.csv", "userId,movieId,rating,timestamp\n"), { format: "ratings.csv" }))
      .rejects.toThrow("holds no ratings");
    expect(() => parseRatings("a\tb\tc\td\n1\n", { format: "u.data", skipMalformed: true }))
      .toThrow("<data> holds no ratings (2 malformed lines skipped)");
  });

  it("rejects a missing file, naming its path", async () => {
    const missing = join(directory, "no-such-dir", "ratings.csv");
    await expect(loadRatings(missing)).rejects.toThrow(`ratings file ${missing} does not exist`);
    await expect(loadRatings(directory)).rejects.toThrow(`cannot read ratings file ${directory}`);
  });

  it("rejects bad options, naming them", async () => {
    await expect(loadRatings(42 as unknown as string)).rejects.toThrow(TypeError);
    expect(() => parseRatings("1,2,3,4", { format: "json" as "csv" })).toThrow('format must be one of');
    expect(() => parseRatings("1,2,3,4", { format: "u.data", delimiter: "," })).toThrow('delimiter applies only to format "csv"');
    expect(() => parseRatings("1,2,3,4", { format: "csv", delimiter: "" })).toThrow("delimiter must be a non-empty string");
    expect(() => parseRatings("1,2,3,4", { format: "csv", columns: { user: -1 } })).toThrow("columns.user = -1 must be a column in");
    expect(() => parseRatings("1,2,3,4", { format: "csv", header: false, columns: { user: "u" } })).toThrow("needs header");
    expect(() => parseRatings("a,b,c,d\n1,2,3,4", { format: "csv", columns: { user: "u" } }))
      .toThrow('<data>:1: the user column "u" is not in the header');
    await expect(loadRatings(file("c.csv", "1,2,3,4"), { chunkBytes: 0 })).rejects.toThrow(/^chunkBytes must be .*, got 0$/);
  });

  it("stops when its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadRatings(file("a.csv", "1,2,3,4"), { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});

describe("loadRatings: synthetic round trip", () => {
  it("streams 1M synthetic rows written as ratings.csv back into generateSynthetic's data set", async () => {
    const seed = testSeed("loaders round trip");
    const options = { numUsers: 50_000, numItems: 10_000, numRatings: 1_000_000, seed };
    const path = join(directory, "ratings.csv");
    const written = await writeSyntheticRatings(path, options);
    const { dataset } = await loadRatings(path);
    const expected = generateSynthetic(options);
    expect([written.numUsers, written.numItems]).toEqual([expected.numUsers, expected.numItems]);
    expectSameDataset(dataset, expected);
  });

  for (const format of ["u.data", "ratings.dat"] as const) {
    it(`round-trips synthetic rows through ${format}`, async () => {
      const options = { numUsers: 300, numItems: 200, numRatings: 5000, seed: 5, format };
      const path = join(directory, `synthetic-${format}`);
      await writeSyntheticRatings(path, options);
      expectSameDataset((await loadRatings(path, { format })).dataset, generateSynthetic(options));
    });
  }
});

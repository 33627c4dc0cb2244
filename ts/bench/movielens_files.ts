/**
 * Where the benchmarks find MovieLens: ../shared/data beside the repository (or MIXDIM_DATA).
 * The files are never committed (their licences restrict redistribution); a benchmark skips a
 * set whose file is absent.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

// dist/bench/ → the repository root → ../shared/data.
export const dataDirectory = path.resolve(process.env.MIXDIM_DATA ?? fileURLToPath(new URL("../../../shared/data", import.meta.url)));

export const movieLensNames = ["ml-100k", "ml-latest-small"] as const;
export type MovieLensName = (typeof movieLensNames)[number];

const movieLensPaths: Record<MovieLensName, string> = {
  "ml-100k": "ml-100k/u.data",
  "ml-latest-small": "ml-latest-small/ratings.csv",
};

/** The ratings file of a MovieLens set under `directory`. */
export function movieLensFile(name: MovieLensName, directory = dataDirectory): string {
  return path.join(directory, movieLensPaths[name]);
}

/**
 * What a rating stream's test tail holds that its training head did not: the share of the tail's
 * ratings whose user (item) never occurs in the head. MovieLens users rate in bursts, so in time
 * order most of the tail is users the head never saw, and the tail measures how fast a model
 * learns new users online; a shuffled split has almost none.
 */
import { streamSplit } from "../../data/splits.js";
import type { SearchData } from "../../search/search_types.js";
import { ratingExperimentDefaults } from "../../training/rating_experiment.js";
import type { DatasetName, Protocol } from "./datasets.js";

export interface StreamStatistics {
  dataset: DatasetName;
  protocol: Protocol;
  trainRows: number;
  testRows: number;
  /** Shares of the test rows whose user, or item, does not occur in the training head. */
  unseenUserShare: number;
  unseenItemShare: number;
}

/** The statistics of the split every rating method makes (time order of the data as given; see datasets.ts for "shuffle"). */
export function streamStatistics(data: SearchData, dataset: DatasetName, protocol: Protocol): StreamStatistics {
  const { train, test } = streamSplit(data, { order: "time", trainFraction: ratingExperimentDefaults.trainFraction });
  const seenUsers = new Uint8Array(data.numUsers);
  const seenItems = new Uint8Array(data.numItems);
  for (const row of train) {
    seenUsers[data.users[row]!] = 1;
    seenItems[data.items[row]!] = 1;
  }
  let unseenUsers = 0;
  let unseenItems = 0;
  for (const row of test) {
    unseenUsers += 1 - seenUsers[data.users[row]!]!;
    unseenItems += 1 - seenItems[data.items[row]!]!;
  }
  const share = (count: number) => (test.length === 0 ? 0 : count / test.length);
  return { dataset, protocol, trainRows: train.length, testRows: test.length,
           unseenUserShare: share(unseenUsers), unseenItemShare: share(unseenItems) };
}

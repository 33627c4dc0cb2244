/**
 * --merge: the runs of a selection (say --families learning) merged into results already made
 * (bench/results/e2e.json), so that one family can be run again without the whole suite.
 *
 * The fresh runs replace every run of the target that the selection covers, wherever it came
 * from (so a family's runs are never half old and half new), and stand where the first of them
 * stood; every other run is kept as it was. A target failure the fresh run retried is dropped;
 * one it did not retry is kept, since it is still true. The summary rows are computed again over
 * the merged runs, and the merge is recorded with its own date, machine and duration, since the
 * top-level ones describe the suite run.
 */
import type { E2eResults, MergedRuns, RunSelection } from "./e2e_results.js";
import type { RunSpec } from "./run_record.js";
import { summarize } from "./seed_summary.js";

function inSelection(spec: Pick<RunSpec, "family" | "dataset" | "seed">, selection: RunSelection): boolean {
  return (selection.families === undefined || selection.families.includes(spec.family)) &&
    (selection.datasets === undefined || selection.datasets.includes(spec.dataset)) &&
    (selection.seeds === undefined || selection.seeds.includes(spec.seed));
}

/** Why fresh results of a selection cannot be merged into the target, or undefined when they can. */
export function mergeRefusal(target: Pick<E2eResults, "profile">, profile: E2eResults["profile"]): string | undefined {
  return target.profile === profile ? undefined
    : `the results there were made with the "${target.profile}" profile and this run is "${profile}": their figures are not comparable`;
}

export function mergeResults(target: E2eResults, fresh: E2eResults, selection: RunSelection): E2eResults {
  const refusal = mergeRefusal(target, fresh.profile);
  if (refusal !== undefined) throw new RangeError(`--merge: ${refusal}`);
  const firstReplaced = target.records.findIndex((record) => inSelection(record.spec, selection));
  const kept = target.records.filter((record) => !inSelection(record.spec, selection));
  const at = firstReplaced === -1 ? kept.length : firstReplaced;
  const records = [...kept.slice(0, at), ...fresh.records, ...kept.slice(at)];
  const retried = new Set([...fresh.records.map((record) => record.spec.id), ...fresh.failures.map((failure) => failure.id)]);
  const merge: MergedRuns = {
    selection, date: fresh.date, machine: fresh.machine, loadAverageAtEnd: fresh.loadAverageAtEnd,
    durationSeconds: fresh.durationSeconds, runs: fresh.records.length, failures: fresh.failures.length,
  };
  const streamKey = (stream: E2eResults["streams"][number]) => `${stream.dataset}|${stream.protocol}`;
  const freshStreams = new Set(fresh.streams.map(streamKey));
  return {
    ...target,
    seeds: [...new Set([...target.seeds, ...fresh.seeds])].sort((a, b) => a - b),
    skipped: [...new Set([...target.skipped, ...fresh.skipped])],
    failures: [...target.failures.filter((failure) => !retried.has(failure.id)), ...fresh.failures],
    streams: [...target.streams.filter((stream) => !freshStreams.has(streamKey(stream))), ...fresh.streams],
    rows: summarize(records),
    records,
    merges: [...(target.merges ?? []), merge],
  };
}

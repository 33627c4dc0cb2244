/**
 * bench/results/e2e.json: every run's record, the rows over seeds, and what the figures were
 * measured on. REPRODUCTION.md is generated from this object alone.
 *
 * The top-level date, machine, load and duration are the suite run's; runs merged in later by
 * --merge (results_merge.ts) say when and where they ran in `merges`.
 */
import type { DatasetScale } from "./datasets.js";
import type { RunRecord } from "./run_record.js";
import type { SummaryRow } from "./seed_summary.js";
import type { StreamStatistics } from "./stream_statistics.js";
import type { Profile } from "./suite.js";

/** Which runs of the suite a command line selects (--families, --datasets, --seeds); every one when a list is absent. */
export interface RunSelection {
  families?: string[];
  datasets?: string[];
  seeds?: number[];
}

/** A subset of the suite run again later and merged in, replacing the selection's runs. */
export interface MergedRuns {
  selection: RunSelection;
  /** ISO time the merged runs started, the machine then, and the load when they ended. */
  date: string;
  machine: Record<string, unknown>;
  loadAverageAtEnd: number[];
  durationSeconds: number;
  /** Runs that gave a record, and runs that failed. */
  runs: number;
  failures: number;
}

export interface E2eResults {
  /** ISO time the suite started. */
  date: string;
  /** describeMachine() at the start (load average included). */
  machine: Record<string, unknown>;
  /** The 1, 5 and 15 minute load averages when the suite ended. */
  loadAverageAtEnd: number[];
  profile: Profile;
  seeds: number[];
  scale: DatasetScale;
  /** Wall-clock seconds of the whole suite, process starts included. */
  durationSeconds: number;
  /** Data sets left out because their files are absent. */
  skipped: string[];
  /** Runs that failed, with the error's last lines. */
  failures: { id: string; error: string }[];
  /** The rating streams' splits: how much of each test tail the training head never saw. */
  streams: StreamStatistics[];
  rows: SummaryRow[];
  records: RunRecord[];
  /** Subsets run again later and merged in, oldest first (absent: none). */
  merges?: MergedRuns[];
}

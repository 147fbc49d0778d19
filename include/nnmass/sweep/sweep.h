// A sweep: every architecture of a grid, trained with every seed on one data set with one recipe,
// each run measured (NN-Mass, densities, #params, MACs, FLOPs, LDI at initialization, training
// time, test accuracy and loss) and stored as a row of a RunStore. Re-running the same sweep
// skips the finished runs, so a killed sweep resumes with the same results. `shard` takes a
// deterministic slice of the runs (k of N), for cluster job arrays; shards write their own files.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnmass/analysis/isometry.h"
#include "nnmass/data/dataset.h"
#include "nnmass/sweep/store.h"
#include "nnmass/train/trainer.h"

namespace nnmass {

struct SweepConfig {
  std::vector<Spec> specs;        // the architectures, already fitted to the data
  std::vector<uint64_t> seeds = {0};
  TrainOptions train;             // the recipe (checkpoint/metrics paths are ignored)
  InitKind init = InitKind::kDefault;
  double sigma = 1.0;
  int64_t ldi_samples = 1000;     // test images for the LDI at initialization (0: skip)
  Derivative ldi_derivative = Derivative::kCorrect;
  int jobs = 1;                   // runs trained at once (each on one thread when > 1)
};

// One planned run.
struct SweepRun {
  Spec spec;
  uint64_t seed = 0;
  std::string key;  // hash of everything that determines the result
};

// Every run of the grid, architectures in order, seeds innermost.
std::vector<SweepRun> plan_sweep(const SweepConfig& config, const DataSplit& data);
// Runs i with i % n == k (0 <= k < n): every run lands in exactly one of the n shards.
std::vector<SweepRun> shard_runs(const std::vector<SweepRun>& runs, int k, int n);

// Called after each run with the record and how many are done out of how many to do.
using SweepProgress = std::function<void(const RunRecord& run, int done, int total)>;

// Trains every run not yet finished in `store`; a failed run becomes a row with status "failed".
// Returns the number of runs executed now.
int run_sweep(const std::vector<SweepRun>& runs, const SweepConfig& config, const DataSplit& data,
              RunStore& store, const SweepProgress& progress);

// Measures and trains one run (used by run_sweep; exceptions become failed records).
RunRecord execute_run(const SweepRun& run, const SweepConfig& config, const DataSplit& data);

}  // namespace nnmass

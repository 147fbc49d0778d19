// A sweep: every architecture of a grid, trained with every seed on one data set with one recipe,
// each run measured (NN-Mass, densities, #params, MACs, FLOPs, LDI at initialization, training
// time, test accuracy and loss) and stored as a row of a RunStore. Re-running the same sweep
// skips the finished runs, so a killed sweep resumes with the same results. `shard` takes a
// deterministic slice of the runs (k of N), for cluster job arrays; shards write their own files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnmass/analysis/conv_isometry.h"
#include "nnmass/analysis/isometry.h"
#include "nnmass/data/dataset.h"
#include "nnmass/sweep/score.h"
#include "nnmass/sweep/store.h"
#include "nnmass/train/trainer.h"

namespace nnmass {

struct SweepConfig {
  std::vector<Spec> specs;        // the architectures, already fitted to the data
  std::vector<uint64_t> seeds = {0};
  TrainOptions train;             // the recipe (checkpoint/metrics paths are ignored)
  InitKind init = InitKind::kDefault;
  double sigma = 1.0;
  int64_t ldi_samples = 1000;     // test images for the LDI at initialization of dense MLPs (0: skip)
  // ... of convolutional networks, whose layers cost ~1000x more a sample (and hold thousands of
  // singular values each: a few images give the mean to about 1e-3, see conv_isometry.h).
  int64_t conv_ldi_samples = 16;
  Derivative ldi_derivative = Derivative::kCorrect;  // dense MLPs
  JacobianMethod ldi_method = JacobianMethod::kAuto;  // convolutional networks (conv_isometry.h)
  int jobs = 1;                   // packs (or lone runs) trained at once (each on one thread when > 1)
  // Most runs per pack (dense MLPs of one layer structure trained in lockstep, see
  // nnmass/nn/packed_mlp.h): 1 trains every run alone as a libtorch module; 0 chooses from the
  // memory budget. Other families always train alone.
  int pack = 0;
  int64_t pack_memory = 0;        // bytes the packs in flight may hold (0: automatic)
  // Zero-cost proxies measured at initialization on batches of the training split (score.h): by
  // default every one that applies. Runs already finished without some of them get them without
  // retraining (their networks are rebuilt at initialization from the stored seed).
  ProxyOptions proxies = parse_proxy_list("auto", "proxies");
  std::function<void(const std::string&)> warn;  // a proxy that failed on one network
  // Called after each finished run given its missing proxies: runs done, runs to fill.
  std::function<void(int done, int total)> fill_progress;
  // Called after each epoch of a pack: unit index (0-based), units, runs in it, epoch, epochs.
  std::function<void(int unit, int units, int runs, int epoch, int epochs)> pack_progress;
};

// One planned run.
struct SweepRun {
  Spec spec;
  uint64_t seed = 0;
  std::string key;  // hash of everything that determines the result
};

// The test images a run of `spec` measures LDI on: ldi_samples (dense MLPs) or conv_ldi_samples.
int64_t ldi_samples_for(const Spec& spec, const SweepConfig& config);

// Every run of the grid, architectures in order, seeds innermost.
std::vector<SweepRun> plan_sweep(const SweepConfig& config, const DataSplit& data);
// Runs i with i % n == k (0 <= k < n): every run lands in exactly one of the n shards.
std::vector<SweepRun> shard_runs(const std::vector<SweepRun>& runs, int k, int n);

// How runs are grouped: the most runs per pack, and why.
struct PackChoice {
  int size = 1;
  std::string reason;  // e.g. "--pack 8", "auto: at most 64, 0.6 MiB per run, 4.0 GiB budget over 2 job(s)"
  int64_t bytes_per_run = 0;  // memory of one packed run, the largest architecture's (0: none packed)
};
// Whether runs of `spec` train in packs under `config`: dense MLPs unless --pack 1; regular dense
// CNNs only on an explicit --pack K > 1 (measured on 2 cores, their grouped convolutions are
// slower than lone ones: build/bench/pack_cnn); never on a GPU.
bool trains_packed(const Spec& spec, const SweepConfig& config);
PackChoice choose_pack_size(const std::vector<SweepRun>& runs, const SweepConfig& config);

// Units of work: each is one run alone or one pack (runs of one layer structure, adjacent seeds
// together), at most `pack_size` runs; a group is split evenly, groups are split further until
// every job has a unit, and the costliest units come first.
std::vector<std::vector<const SweepRun*>> plan_units(const std::vector<const SweepRun*>& runs,
                                                     const SweepConfig& config, int pack_size);

// Called after each run with the record and how many are done out of how many to do.
using SweepProgress = std::function<void(const RunRecord& run, int done, int total)>;

// Trains every run not yet finished in `store`; a failed run becomes a row with status "failed".
// Finished runs missing a requested proxy get it first. Returns the number of runs trained now.
int run_sweep(const std::vector<SweepRun>& runs, const SweepConfig& config, const DataSplit& data,
              RunStore& store, const SweepProgress& progress);

// Measures and trains one run (used by run_sweep; exceptions become failed records).
RunRecord execute_run(const SweepRun& run, const SweepConfig& config, const DataSplit& data);
// Measures each run alone (LDI at initialization included), then trains them as one pack; a
// run's train_seconds is its share of the pack's time. Exceptions become failed records.
std::vector<RunRecord> execute_pack(const std::vector<const SweepRun*>& runs, const SweepConfig& config,
                                    const DataSplit& data, const std::function<void(int, int)>& progress = nullptr);

}  // namespace nnmass

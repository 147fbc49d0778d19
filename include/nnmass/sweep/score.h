// Scoring runs with zero-cost proxies (analysis/proxies.h): which proxies apply to an
// architecture, the batches they read, and `nnmass score` itself: architectures x seeds scored at
// initialization, one row per run in the same results database as sweeps (no training, so no
// test accuracy: `nnmass report --truth` joins one). Resumable per (run, proxy); --shard k/N.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnmass/analysis/proxies.h"
#include "nnmass/analysis/torchscript_model.h"
#include "nnmass/data/dataset.h"
#include "nnmass/sweep/store.h"

namespace nnmass {

struct ProxyOptions {
  std::vector<std::string> names;  // the proxies to measure (empty: none)
  bool applicable_only = false;    // "auto": of `names`, those that apply to each architecture
  int64_t batch_size = 64;         // samples per batch (real or Gaussian)
  bool gaussian = false;           // data-needing proxies read Gaussian stand-ins when there is no data
  int zen_repeats = 1;
};

// "auto" (every proxy that applies), "none", "data-free", or a comma list of names; SpecError naming `flag`.
ProxyOptions parse_proxy_list(const std::string& text, const std::string& flag);
// The same, with the batch size, the Gaussian stand-ins and Zen's repeats set (nnmass score and
// the Python module's score()).
ProxyOptions proxy_options(const std::string& list, int64_t batch_size, bool gaussian, int zen_repeats,
                           const std::string& flag);

// Whether a proxy can score `spec`: zen and meco need convolutional feature maps (not the MLP);
// data-needing proxies need data (or Gaussian stand-ins).
bool proxy_applies(const std::string& name, const Spec& spec, bool has_data, bool gaussian);
// The proxies to measure on `spec`; for an explicit list, SpecError if one does not apply.
std::vector<std::string> proxies_for(const Spec& spec, const ProxyOptions& options, bool has_data);

// The inputs of a run's proxies: batches of the training split (or the test split if it is the
// only one), sampled without replacement by a generator seeded from `seed`; or Gaussian ones.
ProxyData proxy_data(const Spec& spec, const DataSplit* data, uint64_t seed, const ProxyOptions& options);

// Measures `names` on fresh copies from `make`, into r.proxies / r.proxy_seconds. A proxy that
// fails on this network is stored as NaN and named in the returned warnings.
std::vector<std::string> measure_proxies(const ModelFactory& make, const ProxyData& data,
                                         const std::vector<std::string>& names, RunRecord& r);

// Architecture and cost columns of a run (no training): family, depth, width, cells, NN-Mass,
// density, params, MACs, FLOPs, spec.
RunRecord describe_architecture(const Spec& spec, uint64_t seed);

struct ScoreConfig {
  std::vector<Spec> specs;
  std::vector<uint64_t> seeds = {0};
  InitKind init = InitKind::kDefault;
  double sigma = 1.0;
  ProxyOptions proxies;
  int jobs = 1;  // runs scored at once, each on one torch thread (> 1)
  // TorchScript files scored beside the specs, one sample of `torchscript_input` (per sample shape).
  std::vector<std::string> torchscripts;
  std::vector<int64_t> torchscript_input;
};

struct ScoreRun {
  Spec spec;                 // (unused for a TorchScript run)
  uint64_t seed = 0;
  std::string key;
  std::vector<std::string> proxies;  // what to measure
  std::string torchscript;           // a TorchScript file instead of a spec
  std::shared_ptr<const TorchScriptSummary> summary;
};

// Every run (architectures in order, seeds innermost); keys depend on the architecture, seed, init,
// data and batch size, not on the proxy list, so adding a proxy later scores only it.
std::vector<ScoreRun> plan_scores(const ScoreConfig& config, const DataSplit* data);

using ScoreProgress = std::function<void(const RunRecord& run, int done, int total, int measured)>;

// Scores each run's missing proxies (all of them for a new run) into `store`. Returns the number of
// runs that needed work. Warnings (a proxy that failed on one network) go to `warn`.
int run_scores(const std::vector<ScoreRun>& runs, const ScoreConfig& config, const DataSplit* data, RunStore& store,
               const ScoreProgress& progress, const std::function<void(const std::string&)>& warn);

}  // namespace nnmass

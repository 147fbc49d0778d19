// Sweep planning, sharding and execution; see sweep.h.
#include "nnmass/sweep/sweep.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>

#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/nn/pack.h"
#include "nnmass/residual.h"
#include "nnmass/spec_json.h"
#include "nnmass/train/pack_trainer.h"
#include "sweep/jobs.h"

namespace nnmass {
namespace {

// Architecture and cost columns, known before training.
RunRecord describe(const SweepRun& run, const SweepConfig& config, const DataSplit& data) {
  RunRecord r = describe_architecture(run.spec, run.seed);
  r.key = run.key;
  r.epochs = config.train.epochs;
  r.data = data.name;
  TrainOptions recipe = config.train;
  recipe.seed = run.seed;  // the seed this run trains with
  r.recipe_json = recipe_json(recipe).dump();
  return r;
}

std::mutex& build_mutex() {  // torch's global generator seeds every build: one at a time
  static std::mutex m;
  return m;
}

}  // namespace

int64_t ldi_samples_for(const Spec& spec, const SweepConfig& config) {
  return spec.family == Family::kMlp ? config.ldi_samples : config.conv_ldi_samples;
}

std::vector<SweepRun> plan_sweep(const SweepConfig& config, const DataSplit& data) {
  if (config.specs.empty()) throw SpecError("the sweep has no architectures");
  if (config.seeds.empty()) throw SpecError("the sweep has no seeds");
  std::vector<SweepRun> runs;
  for (const Spec& spec : config.specs)
    for (uint64_t seed : config.seeds) {
      nlohmann::json identity = {
          {"spec", spec_to_json(spec)}, {"seed", seed}, {"data", data.name},
          {"train_size", data.train.size()}, {"test_size", data.test.size()},
          {"recipe", recipe_json(config.train)}, {"init", to_string(config.init)}, {"sigma", config.sigma},
          {"ldi_samples", ldi_samples_for(spec, config)}, {"ldi_derivative", to_string(config.ldi_derivative)}};
      // Convolutional LDI's method joins the identity only where it is measured, so databases of
      // earlier sweeps (MLPs, or CNNs without LDI) keep their keys.
      if (spec.family != Family::kMlp && ldi_samples_for(spec, config) > 0)
        identity["ldi_method"] = to_string(config.ldi_method);
      runs.push_back({spec, seed, run_fingerprint(identity.dump())});
    }
  return runs;
}

std::vector<SweepRun> shard_runs(const std::vector<SweepRun>& runs, int k, int n) {
  if (n < 1 || k < 0 || k >= n)
    throw SpecError("shard must be k/N with 0 <= k < N, got " + std::to_string(k) + "/" + std::to_string(n));
  std::vector<SweepRun> slice;
  for (size_t i = 0; i < runs.size(); ++i)
    if (static_cast<int>(i % n) == k) slice.push_back(runs[i]);
  return slice;
}

namespace {

constexpr int kMaxAutoPack = 64;  // per-step overhead is amortised long before; more only unbalances jobs
constexpr int64_t kMaxPackMemory = int64_t{4} << 30;

void mark_failed(RunRecord& r, const std::exception& e) {
  r.status = "failed";
  const std::string what = e.what();
  r.error = what.substr(0, what.find('\n'));
}

// The proxies of a run at initialization, each on a fresh copy of its network (built as the run
// builds it, under the build lock: torch's global generator seeds every build).
void measure_run_proxies(const SweepRun& run, const SweepConfig& config, const DataSplit& data, const Links* links,
                         const std::vector<std::string>& names, RunRecord& r) {
  if (names.empty()) return;
  const ModelFactory build = network_factory(run.spec, links, InitOptions{config.init, config.sigma, run.seed});
  const ModelFactory locked = [&build] {
    std::lock_guard<std::mutex> lock(build_mutex());
    return build();
  };
  for (const std::string& w : measure_proxies(locked, proxy_data(run.spec, &data, run.seed, config.proxies), names, r))
    if (config.warn) config.warn(w);
}

// Builds a run's network as a lone run does (same seed, same links) and measures its LDI and proxies.
Network build_and_measure(const SweepRun& run, const SweepConfig& config, const DataSplit& data, RunRecord& r) {
  const InitOptions init{config.init, config.sigma, run.seed};
  std::optional<Links> links;
  if (is_dense(run.spec.family)) links = draw_links(run.spec, run.seed);
  Network network;
  {
    std::lock_guard<std::mutex> lock(build_mutex());
    network = build_network(run.spec, links ? &*links : nullptr, init);
  }
  if (links) r.links_json = links_to_json(*links).dump();
  if (auto mlp = std::dynamic_pointer_cast<DenseMlpImpl>(network); mlp && config.ldi_samples > 0) {
    IsometryOptions iso;
    iso.derivative = config.ldi_derivative;
    const int64_t n = std::min<int64_t>(config.ldi_samples, data.test.size());
    const IsometryResult ldi = measure_isometry(*mlp, data.test.input_slice(0, n), iso);
    r.ldi_mean = ldi.mean;
    r.ldi_std = ldi.std;
  } else if (!mlp && config.conv_ldi_samples > 0) {  // conv layers: exact or Lanczos (conv_isometry.h)
    ConvIsometryOptions iso;
    iso.method = config.ldi_method;
    iso.seed = run.seed;
    const int64_t n = std::min<int64_t>(config.conv_ldi_samples, data.test.size());
    const ConvIsometryResult ldi = measure_conv_isometry(*network, data.test.input_slice(0, n), iso);
    r.ldi_mean = ldi.sums.mean();
    r.ldi_std = ldi.sums.std();
  }
  measure_run_proxies(run, config, data, links ? &*links : nullptr, proxies_for(run.spec, config.proxies, true), r);
  return network;
}

TrainOptions run_options(const SweepConfig& config, uint64_t seed) {
  TrainOptions options = config.train;
  options.checkpoint.clear();
  options.metrics_log.clear();
  options.resume = false;
  options.seed = seed;
  return options;
}

// Relative cost of a unit, to start the longest first.
double unit_cost(const std::vector<const SweepRun*>& unit) {
  double cost = 0;
  for (const SweepRun* r : unit) cost += static_cast<double>(count_cost(r->spec).flops);
  return cost;
}

}  // namespace

RunRecord execute_run(const SweepRun& run, const SweepConfig& config, const DataSplit& data) {
  RunRecord r = describe(run, config, data);
  try {
    Network network = build_and_measure(run, config, data, r);
    const TrainResult result = train(*network, data, run_options(config, run.seed), nlohmann::json::object(), nullptr);
    r.train_seconds = result.seconds;
    r.test_acc = result.test.accuracy;
    r.test_loss = result.test.loss;
    r.status = "ok";
  } catch (const std::exception& e) {
    mark_failed(r, e);
  }
  r.finished_at = utc_timestamp();
  return r;
}

bool trains_packed(const Spec& spec, const SweepConfig& config) {
  if (config.train.device != "cpu" || config.pack == 1 || !packable(spec.family)) return false;
  return spec.family == Family::kMlp || config.pack > 1;
}

std::vector<RunRecord> execute_pack(const std::vector<const SweepRun*>& runs, const SweepConfig& config,
                                    const DataSplit& data, const std::function<void(int, int)>& progress) {
  std::vector<RunRecord> records;
  std::vector<Network> models;
  std::vector<size_t> members;  // records index of each packed model
  std::vector<uint64_t> seeds;
  for (const SweepRun* run : runs) {
    records.push_back(describe(*run, config, data));
    try {
      models.push_back(build_and_measure(*run, config, data, records.back()));
      members.push_back(records.size() - 1);
      seeds.push_back(run->seed);
    } catch (const std::exception& e) {
      mark_failed(records.back(), e);
    }
  }
  if (!models.empty()) {
    try {
      std::unique_ptr<Pack> pack = make_pack(models);
      models.clear();  // the pack holds copies of the weights
      const PackTrainResult result = train_pack(*pack, seeds, data, run_options(config, 0), progress);
      for (size_t j = 0; j < members.size(); ++j) {
        RunRecord& r = records[members[j]];
        r.train_seconds = result.seconds / static_cast<double>(members.size());
        if (!result.runs[j].error.empty()) {
          r.status = "failed";
          r.error = result.runs[j].error;
          continue;
        }
        r.test_acc = result.runs[j].test.accuracy;
        r.test_loss = result.runs[j].test.loss;
        r.status = "ok";
      }
    } catch (const std::exception& e) {
      for (size_t j : members) mark_failed(records[j], e);
    }
  }
  for (RunRecord& r : records) r.finished_at = utc_timestamp();
  return records;
}

PackChoice choose_pack_size(const std::vector<SweepRun>& runs, const SweepConfig& config) {
  PackChoice choice;
  int64_t& per_model = choice.bytes_per_run;
  for (const SweepRun& r : runs)
    if (trains_packed(r.spec, config))
      per_model = std::max(per_model, pack_bytes_per_model(r.spec, config.train.batch_size));
  if (per_model == 0) {
    choice.reason = "no dense MLPs to pack";
    return choice;
  }
  if (config.pack > 0) {
    choice.size = config.pack;
    choice.reason = "--pack " + std::to_string(config.pack);
    return choice;
  }
  int64_t budget = config.pack_memory;
  if (budget <= 0) {
    const int64_t available = available_memory_bytes();
    budget = available < 0 ? kMaxPackMemory : std::min(kMaxPackMemory, available / 4);
  }
  const int64_t per_job = budget / std::max(1, config.jobs);
  choice.size = static_cast<int>(std::clamp<int64_t>(per_job / per_model, 1, kMaxAutoPack));
  char per_run[32];
  std::snprintf(per_run, sizeof per_run, "%.1f MiB", static_cast<double>(per_model) / (1 << 20));
  choice.reason = "auto: at most " + std::to_string(kMaxAutoPack) + ", " + per_run +
                  " per run, " + gib_text(budget) + " budget over " + std::to_string(std::max(1, config.jobs)) +
                  " job(s)";
  return choice;
}

std::vector<std::vector<const SweepRun*>> plan_units(const std::vector<const SweepRun*>& runs,
                                                     const SweepConfig& config, int pack_size) {
  std::vector<std::vector<const SweepRun*>> units;
  std::map<std::string, size_t> group_of;  // pack key -> index in groups (first appearance order)
  std::vector<std::vector<const SweepRun*>> groups;
  for (const SweepRun* r : runs) {
    if (!trains_packed(r->spec, config)) {
      units.push_back({r});
      continue;
    }
    const auto [it, added] = group_of.emplace(pack_key(r->spec), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(r);
  }
  std::vector<std::vector<const SweepRun*>> packs;
  const auto split = [&](std::vector<const SweepRun*> group, size_t parts) {
    std::stable_sort(group.begin(), group.end(), [](const SweepRun* a, const SweepRun* b) { return a->seed < b->seed; });
    for (size_t p = 0, start = 0; p < parts; ++p) {  // sizes differ by at most one
      const size_t size = group.size() / parts + (p < group.size() % parts);
      packs.emplace_back(group.begin() + start, group.begin() + start + size);
      start += size;
    }
  };
  const size_t k = static_cast<size_t>(std::max(1, pack_size));
  for (const auto& g : groups) split(g, (g.size() + k - 1) / k);
  // Every job gets a unit: split the largest pack while there are fewer units than jobs.
  while (units.size() + packs.size() < static_cast<size_t>(std::max(1, config.jobs))) {
    auto largest = std::max_element(packs.begin(), packs.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (largest == packs.end() || largest->size() < 2) break;
    std::vector<const SweepRun*> group = std::move(*largest);
    packs.erase(largest);
    split(std::move(group), 2);
  }
  if (packs.empty()) return units;  // nothing packed (--pack 1): runs in plan order, as always
  units.insert(units.end(), packs.begin(), packs.end());
  std::stable_sort(units.begin(), units.end(), [](const auto& a, const auto& b) { return unit_cost(a) > unit_cost(b); });
  return units;
}

namespace {

// Finished runs that lack a requested proxy get it now, at initialization (no retraining).
void fill_proxies(const std::vector<SweepRun>& runs, const std::set<std::string>& finished, const SweepConfig& config,
                  const DataSplit& data, RunStore& store) {
  const auto have = store.proxy_names();
  std::vector<std::pair<const SweepRun*, std::vector<std::string>>> todo;
  for (const SweepRun& run : runs) {
    if (!finished.count(run.key)) continue;
    const auto it = have.find(run.key);
    std::vector<std::string> missing;
    for (const std::string& name : proxies_for(run.spec, config.proxies, true))
      if (it == have.end() || !it->second.count(name)) missing.push_back(name);
    if (!missing.empty()) todo.emplace_back(&run, std::move(missing));
  }
  for (size_t i = 0; i < todo.size(); ++i) {
    const SweepRun& run = *todo[i].first;
    std::optional<Links> links;
    if (is_dense(run.spec.family)) links = draw_links(run.spec, run.seed);
    RunRecord r = describe(run, config, data);
    measure_run_proxies(run, config, data, links ? &*links : nullptr, todo[i].second, r);
    store.put_proxies(run.key, r.proxies, r.proxy_seconds);
    if (config.fill_progress) config.fill_progress(static_cast<int>(i + 1), static_cast<int>(todo.size()));
  }
}

}  // namespace

int run_sweep(const std::vector<SweepRun>& runs, const SweepConfig& config, const DataSplit& data,
              RunStore& store, const SweepProgress& progress) {
  const std::set<std::string> finished = store.finished_keys();
  fill_proxies(runs, finished, config, data, store);
  std::vector<const SweepRun*> pending;
  for (const SweepRun& run : runs)
    if (!finished.count(run.key)) pending.push_back(&run);
  const int total = static_cast<int>(runs.size());
  const std::vector<std::vector<const SweepRun*>> units =
      plan_units(pending, config, choose_pack_size(runs, config).size);
  std::atomic<int> done{total - static_cast<int>(pending.size())};
  std::mutex store_mutex;
  // A store that cannot be written (or a caller's callback) stops the sweep.
  detail::run_jobs(units.size(), config.jobs, [&](size_t i, const std::atomic<bool>& stop) {
    const auto& unit = units[i];
    std::vector<RunRecord> records;
    if (trains_packed(unit.front()->spec, config)) {
      const auto on_epoch = [&](int epoch, int epochs) {
        if (config.pack_progress)
          config.pack_progress(static_cast<int>(i), static_cast<int>(units.size()), static_cast<int>(unit.size()),
                               epoch, epochs);
      };
      records = execute_pack(unit, config, data, on_epoch);
    } else {
      records.push_back(execute_run(*unit.front(), config, data));
    }
    std::lock_guard<std::mutex> lock(store_mutex);
    if (stop) return;
    for (const RunRecord& record : records) {
      store.put(record);  // one transaction per run
      if (progress) progress(record, ++done, total);
    }
  });
  return static_cast<int>(pending.size());
}

}  // namespace nnmass

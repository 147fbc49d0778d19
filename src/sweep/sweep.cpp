// Sweep planning, sharding and execution; see sweep.h.
#include "nnmass/sweep/sweep.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <thread>

#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"

namespace nnmass {
namespace {

// FNV-1a, 64 bits: a stable key from canonical JSON (nlohmann sorts object keys).
std::string fingerprint(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string cells_text(const Spec& spec) {
  std::string text;
  for (const Cell& c : spec.cells)
    text += (text.empty() ? "" : ":") + std::to_string(c.depth) + "x" + std::to_string(c.width) + "x" +
            std::to_string(c.tc);
  return text;
}

// Architecture and cost columns, known before training.
RunRecord describe(const SweepRun& run, const SweepConfig& config, const DataSplit& data) {
  RunRecord r;
  r.key = run.key;
  r.family = to_string(run.spec.family);
  for (const Cell& c : run.spec.cells) r.depth += c.depth;
  if (!run.spec.cells.empty()) {
    r.width = run.spec.cells.front().width;
    r.tc = run.spec.cells.front().tc;
  }
  r.cells = cells_text(run.spec);
  r.seed = static_cast<int64_t>(run.seed);
  r.nn_mass = nn_mass(run.spec);
  r.density = average_density(run.spec);
  const Cost cost = count_cost(run.spec);
  r.params = cost.params;
  r.macs = cost.macs;
  r.flops = cost.flops;
  r.ldi_mean = r.ldi_std = std::nan("");
  r.epochs = config.train.epochs;
  r.data = data.name;
  r.spec_json = spec_to_json(run.spec).dump();
  TrainOptions recipe = config.train;
  recipe.seed = run.seed;  // the seed this run trains with
  r.recipe_json = recipe_json(recipe).dump();
  r.nnmass_version = NNMASS_VERSION;
  return r;
}

std::mutex& build_mutex() {  // torch's global generator seeds every build: one at a time
  static std::mutex m;
  return m;
}

}  // namespace

std::vector<SweepRun> plan_sweep(const SweepConfig& config, const DataSplit& data) {
  if (config.specs.empty()) throw SpecError("the sweep has no architectures");
  if (config.seeds.empty()) throw SpecError("the sweep has no seeds");
  std::vector<SweepRun> runs;
  for (const Spec& spec : config.specs)
    for (uint64_t seed : config.seeds) {
      const nlohmann::json identity = {
          {"spec", spec_to_json(spec)}, {"seed", seed}, {"data", data.name},
          {"train_size", data.train.size()}, {"test_size", data.test.size()},
          {"recipe", recipe_json(config.train)}, {"init", to_string(config.init)}, {"sigma", config.sigma},
          {"ldi_samples", config.ldi_samples}, {"ldi_derivative", to_string(config.ldi_derivative)}};
      runs.push_back({spec, seed, fingerprint(identity.dump())});
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

RunRecord execute_run(const SweepRun& run, const SweepConfig& config, const DataSplit& data) {
  RunRecord r = describe(run, config, data);
  try {
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
      const IsometryResult ldi = measure_isometry(*mlp, data.test.inputs.narrow(0, 0, n), iso);
      r.ldi_mean = ldi.mean;
      r.ldi_std = ldi.std;
    }
    TrainOptions options = config.train;
    options.checkpoint.clear();
    options.metrics_log.clear();
    options.resume = false;
    options.seed = run.seed;
    const TrainResult result = train(*network, data, options, nlohmann::json::object(), nullptr);
    r.train_seconds = result.seconds;
    r.test_acc = result.test.accuracy;
    r.test_loss = result.test.loss;
    r.status = "ok";
  } catch (const std::exception& e) {
    r.status = "failed";
    const std::string what = e.what();
    r.error = what.substr(0, what.find('\n'));
  }
  r.finished_at = utc_now();
  return r;
}

int run_sweep(const std::vector<SweepRun>& runs, const SweepConfig& config, const DataSplit& data,
              RunStore& store, const SweepProgress& progress) {
  const std::set<std::string> finished = store.finished_keys();
  std::vector<const SweepRun*> pending;
  for (const SweepRun& run : runs)
    if (!finished.count(run.key)) pending.push_back(&run);
  const int total = static_cast<int>(runs.size());
  std::atomic<int> done{total - static_cast<int>(pending.size())};
  std::atomic<size_t> next{0};
  std::mutex store_mutex;
  std::exception_ptr failure;
  const int jobs = std::max(1, std::min<int>(config.jobs, static_cast<int>(pending.size())));
  std::atomic<bool> stop{false};
  const auto worker = [&] {
    // OpenMP's thread count is per thread: a new thread would use every core for each of its ops.
    if (jobs > 1) torch::set_num_threads(1);
    for (size_t i; !stop && (i = next++) < pending.size();) {
      try {
        const RunRecord record = execute_run(*pending[i], config, data);
        std::lock_guard<std::mutex> lock(store_mutex);
        if (stop) return;
        store.put(record);  // one transaction per run
        if (progress) progress(record, ++done, total);
      } catch (...) {  // a store that cannot be written (or a caller's callback) stops the sweep
        std::lock_guard<std::mutex> lock(store_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        return;
      }
    }
  };
  const int caller_threads = torch::get_num_threads();
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  torch::set_num_threads(caller_threads);  // the caller's setting, as it was
  if (failure) std::rethrow_exception(failure);
  return static_cast<int>(pending.size());
}

}  // namespace nnmass

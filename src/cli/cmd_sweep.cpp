// `nnmass sweep`: a grid of architectures x seeds, each trained and measured, one row per run in a
// SQLite database. Re-running resumes; --shard k/N runs a deterministic slice.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <variant>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "cli/sweep_options.h"
#include "nnmass/memory.h"
#include "nnmass/train/recipe.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/sweep.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

nlohmann::json run_json(const RunRecord& r) {
  nlohmann::json j;
  for (const RunField& f : run_fields())
    std::visit([&](const auto& v) { j[f.name] = v; }, f.get(r));
  return j;
}

// --dry-run: what the sweep would train, and nothing else (no database, no training).
void print_plan(const std::vector<SweepRun>& runs, const SweepConfig& config, const DataSplit& data, bool json) {
  std::vector<const SweepRun*> all;
  for (const SweepRun& r : runs) all.push_back(&r);
  const PackChoice pack = choose_pack_size(runs, config);
  const auto units = plan_units(all, config, pack.size);
  if (json) {
    nlohmann::json rows = nlohmann::json::array(), groups = nlohmann::json::array();
    for (const SweepRun& r : runs) rows.push_back({{"key", r.key}, {"seed", r.seed}, {"spec", spec_to_json(r.spec)}});
    for (const auto& unit : units) {
      nlohmann::json keys = nlohmann::json::array();
      for (const SweepRun* r : unit) keys.push_back(r->key);
      groups.push_back(keys);
    }
    std::cout << nlohmann::json{{"data", data.name}, {"recipe", recipe_json(config.train)}, {"runs", rows},
                                {"pack_size", pack.size}, {"pack_reason", pack.reason}, {"units", groups}}.dump(2)
              << "\n";
    return;
  }
  size_t packs = 0, largest = 0;
  for (const auto& unit : units) {
    packs += unit.size() > 1;
    largest = std::max(largest, unit.size());
  }
  std::cout << "sweep plan: " << runs.size() << " runs (" << config.specs.size() << " architectures x "
            << config.seeds.size() << " seeds) on " << data.name << ", " << config.train.epochs << " epochs, "
            << config.train.optimizer << " lr " << config.train.lr << ", batch " << config.train.batch_size << "; "
            << units.size() << " units of work (" << packs << " packs of up to " << largest << " runs; " << pack.reason
            << "); nothing trained (--dry-run)\n";
}

std::string clock_text(double s) {
  const long t = std::lround(std::max(0.0, s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

// Every flag and grid field checked, every spec valid, the database writable: before any data
// is read or any run trained.
std::vector<SweepSpec> checked_specs(SweepCliOptions& o, SweepConfig* config, int* shard_k, int* shard_n) {
  const std::vector<SweepSpec> specs = read_sweep_options(o, &config->seeds, shard_k, shard_n);
  validate(o.train);
  if (!o.dry_run) check_output_file(o.db, "--db");
  return specs;
}

void run_sweep_command(SweepCliOptions& o) {
  int shard_k = 0, shard_n = 1;
  SweepConfig config;
  const std::vector<SweepSpec> specs = checked_specs(o, &config, &shard_k, &shard_n);
  config.init = parse_init(o.init, "--init");
  config.sigma = o.sigma;
  config.ldi_samples = o.ldi_samples;
  if (o.table.given("ldi-samples")) config.conv_ldi_samples = o.ldi_samples;  // else the conv default
  config.ldi_derivative = parse_derivative(o.derivative, "--derivative");
  config.ldi_method = parse_jacobian_method(o.ldi_method, "--ldi-method");
  config.proxies = parse_proxy_list(o.proxies, "--proxies");
  config.proxies.batch_size = o.proxy_batch;
  config.warn = [](const std::string& w) { std::cerr << "warning: proxy " << w << "\n"; };
  config.fill_progress = [](int done, int total) {
    if (done == 1 || done == total || done % 25 == 0)
      std::cerr << "proxies of finished runs (measured at initialization, no retraining): " << done << "/" << total << "\n";
  };
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  config.jobs = o.jobs > 0 ? o.jobs : cores;
  const DataSplit data = load_data(o.data);
  for (const SweepSpec& s : specs) config.specs.push_back(fit_spec_to_data(s.spec, data, s.adopt_input, s.adopt_classes));
  for (const Spec& s : config.specs) proxies_for(s, config.proxies, true);  // an explicit proxy that cannot apply
  apply_official_recipe(data, o.table, o.no_augment, &o.train);
  config.train = o.train;
  validate(config.train);
  config.pack = o.pack;
  int64_t largest = 0;
  for (const Spec& s : config.specs) largest = std::max(largest, training_bytes(s, config.train.batch_size));
  check_memory(largest * std::min<int64_t>(config.jobs, config.specs.size() * config.seeds.size()),
               "training " + std::to_string(config.jobs) + " of these networks at once (--jobs)");
  // Parallel jobs each get one thread; one job alone gets every core for a pack (its models run
  // in parallel) and for a network large enough to use them.
  int threads = o.threads;
  if (threads == 0) {
    threads = 1;
    for (const Spec& s : config.specs)
      if (config.jobs == 1 && (choose_threads(0, s, config.train.batch_size) == 0 || trains_packed(s, config)))
        threads = 0;
  }
  set_torch_threads(threads);

  const std::vector<SweepRun> all = plan_sweep(config, data);
  const std::vector<SweepRun> runs = shard_runs(all, shard_k, shard_n);
  const PackChoice pack = choose_pack_size(runs, config);
  if (o.pack > 1)  // an explicit --pack: its packs in flight must fit
    check_memory(pack.bytes_per_run * o.pack * config.jobs,
                 "--pack " + std::to_string(o.pack) + " with --jobs " + std::to_string(config.jobs));
  if (o.dry_run) {
    print_plan(runs, config, data, o.json);
    return;
  }
  RunStore store(o.db);
  const int already = static_cast<int>(store.finished_keys().size());
  std::cerr << "sweep: " << runs.size() << " runs" << (shard_n > 1 ? " (shard " + o.shard + " of " + std::to_string(all.size()) + ")" : "")
            << " on " << data.name << ", " << config.jobs << " at a time"
            << (pack.size > 1 ? ", dense networks in packs of up to " + std::to_string(pack.size) + " (" + pack.reason + ")"
                              : ", every run alone (" + pack.reason + ")")
            << ", into " << o.db
            << (already ? " (resuming: " + std::to_string(already) + " finished runs in the database)" : "") << "\n";
  const auto start = std::chrono::steady_clock::now();
  std::mutex print_mutex;
  auto last_print = start;
  config.pack_progress = [&](int unit, int units, int size, int epoch, int epochs) {
    std::lock_guard<std::mutex> lock(print_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (epoch < epochs && std::chrono::duration<double>(now - last_print).count() < 10) return;
    last_print = now;
    std::cerr << "  pack " << unit + 1 << "/" << units << " (" << size << " runs): epoch " << epoch << "/" << epochs
              << ", " << clock_text(std::chrono::duration<double>(now - start).count()) << " elapsed\n";
  };
  int executed = 0;
  const int executed_total = run_sweep(runs, config, data, store, [&](const RunRecord& r, int done, int total) {
    ++executed;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = elapsed / executed * (total - done);
    std::cerr << "[" << done << "/" << total << "] " << r.family << " " << r.cells << " seed " << r.seed << ": "
              << (r.status == "ok" ? "test acc " + fixed(100 * r.test_acc, 2) + " %, NN-Mass " + fixed(r.nn_mass, 2) +
                                         (std::isnan(r.ldi_mean) ? std::string() : ", LDI " + fixed(r.ldi_mean, 4)) + ", " +
                                         fixed(r.train_seconds, 1) + " s"
                                   : "FAILED: " + r.error)
              << "  ETA " << clock_text(eta) << "\n";
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json) {
    std::set<std::string> keys;
    for (const SweepRun& r : runs) keys.insert(r.key);
    nlohmann::json rows = nlohmann::json::array();
    for (const RunRecord& r : store.runs())
      if (keys.count(r.key)) rows.push_back(run_json(r));
    std::cout << nlohmann::json{{"db", o.db}, {"executed", executed_total},
                                {"skipped", static_cast<int>(runs.size()) - executed_total}, {"seconds", seconds},
                                {"runs", rows}}.dump(2) << "\n";
    return;
  }
  std::cout << "sweep done: " << executed_total << " runs now, " << runs.size() - executed_total << " already finished; "
            << fixed(seconds, 1) << " s"
            << (executed_total ? " (" + fixed(3600.0 * executed_total / seconds, 0) + " runs/hour)" : "") << "\n"
            << "results in " << o.db << "; report with: nnmass report " << o.db << "\n";
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto opt = std::make_shared<SweepCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Train a grid of architectures x seeds into a SQLite results database.\n"
      "Stores NN-Mass, densities, #params, MACs,\n"
      "FLOPs, LDI and the zero-cost proxies at init (--proxies), training time, test accuracy and loss,\n"
      "spec, links and recipe of each run\n"
      "as one row of a SQLite database (one transaction per run). Running the same command again\n"
      "resumes: finished runs are skipped. --shard k/N runs every N-th run from the k-th (0-based),\n"
      "for a cluster job array; each shard writes its own --db and `nnmass report` merges them.\n"
      "Dense MLPs of one layer structure are trained in packs: up to --pack K runs (default: chosen\n"
      "from a memory budget, printed on the first line) in lockstep as one computation, each with\n"
      "the weights, links and batches of its lone run; --pack 1 trains every run alone.\n"
      "Examples:\n"
      "  nnmass sweep --family mlp --width 8 --depth 16,24,32 --tc 0,4,8,12 --seeds 0,1,2 --epochs 3\n"
      "  nnmass sweep --grid examples/demo-sweep.json --db runs/demo.sqlite\n"
      "  nnmass sweep --grid paper.json --shard $SLURM_ARRAY_TASK_ID/64 --db runs/shard-$SLURM_ARRAY_TASK_ID.sqlite");
  OptionTable& t = opt->table;
  declare_sweep_options(*opt);
  add_flags(cmd, t);
  cmd->callback([opt] { run_sweep_command(*opt); });
}

}  // namespace nnmass::cli

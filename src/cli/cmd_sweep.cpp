// `nnmass sweep`: a grid of architectures x seeds, each trained and measured, one row per run in a
// SQLite database. Re-running resumes; --shard k/N runs a deterministic slice.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/data_fit.h"
#include "cli/spec_options.h"
#include "cli/train_flags.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/sweep.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct SweepCliOptions {
  SpecFlags spec;
  DataOptions data;
  TrainOptions train;
  bool no_augment = false;
  std::string grid;              // --grid FILE.json
  std::string seeds = "0";
  int repeats = 0;               // --repeats N: seeds 0..N-1
  std::string init = "default";
  double sigma = 1.0;
  int64_t ldi_samples = 1000;
  std::string derivative = "correct";
  std::string db = "runs/sweep.sqlite";
  std::string shard;             // "k/N"
  int jobs = 0;
};

std::string text_of(const nlohmann::json& v) {  // 16 -> "16", [16, 24] -> "16,24"
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + text_of(x);
    return s;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// A grid file holds the same settings as the flags; a flag given on the command line wins.
void apply_grid_file(SweepCliOptions& o, const CLI::App& cmd) {
  const nlohmann::json j = parse_json_text(read_text_file(o.grid), o.grid);
  if (!j.is_object()) throw SpecError(o.grid + ": a grid file is a JSON object");
  const auto flag_set = [&](const char* flag) { return cmd.count(flag) > 0; };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    const std::string flag = "--" + [&] { std::string f = k; std::replace(f.begin(), f.end(), '_', '-'); return f; }();
    if (k != "comment" && flag_set(flag.c_str())) continue;
    try {
      if (k == "comment") continue;
      else if (k == "family") o.spec.family = v.get<std::string>();
      else if (k == "depth") o.spec.depth = text_of(v);
      else if (k == "width") o.spec.width = text_of(v);
      else if (k == "tc") o.spec.tc = text_of(v);
      else if (k == "activation") o.spec.activation = v.get<std::string>();
      else if (k == "head") o.spec.head = v.get<std::string>();
      else if (k == "link_pool") o.spec.link_pool = v.get<std::string>();
      else if (k == "seeds") o.seeds = text_of(v);
      else if (k == "data") o.data.source = v.get<std::string>();
      else if (k == "limit_train") o.data.limit_train = v.get<int64_t>();
      else if (k == "limit_test") o.data.limit_test = v.get<int64_t>();
      else if (k == "epochs") o.train.epochs = v.get<int>();
      else if (k == "optimizer") o.train.optimizer = v.get<std::string>();
      else if (k == "lr") o.train.lr = v.get<double>();
      else if (k == "momentum") o.train.momentum = v.get<double>();
      else if (k == "weight_decay") o.train.weight_decay = v.get<double>();
      else if (k == "schedule") o.train.schedule = v.get<std::string>();
      else if (k == "batch_size") o.train.batch_size = v.get<int>();
      else if (k == "init") o.init = v.get<std::string>();
      else if (k == "sigma") o.sigma = v.get<double>();
      else if (k == "ldi_samples") o.ldi_samples = v.get<int64_t>();
      else throw SpecError(o.grid + ": unknown field " + k + " (fields: family, depth, width, tc, activation, head, "
                           "link_pool, seeds, data, limit_train, limit_test, epochs, optimizer, lr, momentum, "
                           "weight_decay, schedule, batch_size, init, sigma, ldi_samples, comment)");
    } catch (const nlohmann::json::exception&) {
      throw SpecError(o.grid + ": field " + k + " has the wrong type, got " + v.dump());
    }
  }
}

std::vector<uint64_t> parse_seeds(const SweepCliOptions& o) {
  std::vector<uint64_t> seeds;
  if (o.repeats > 0) {
    for (int r = 0; r < o.repeats; ++r) seeds.push_back(r);
    return seeds;
  }
  std::stringstream in(o.seeds);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      size_t used = 0;
      seeds.push_back(std::stoull(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      throw SpecError("--seeds must be comma-separated non-negative integers, got \"" + o.seeds + "\"");
    }
  }
  return seeds;
}

void parse_shard(const std::string& text, int* k, int* n) {
  if (text.empty()) return;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", k, n, &tail) != 2 || *n < 1 || *k < 0 || *k >= *n)
    throw SpecError("--shard must be k/N with 0 <= k < N (e.g. 3/8), got \"" + text + "\"");
}

std::string clock_text(double s) {
  const long t = std::lround(std::max(0.0, s));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

void run_sweep_command(SweepCliOptions& o, const CLI::App& cmd) {
  if (!o.grid.empty()) apply_grid_file(o, cmd);
  int shard_k = 0, shard_n = 1;
  parse_shard(o.shard, &shard_k, &shard_n);
  const DataSplit data = load_data(o.data);
  SweepConfig config;
  for (const Spec& s : specs_from_flags(o.spec, cmd)) config.specs.push_back(fit_spec_to_data(s, data, o.spec, cmd));
  config.seeds = parse_seeds(o);
  apply_recipe_defaults(data, cmd, &o.train, o.no_augment);
  config.train = o.train;
  validate(config.train);
  config.init = parse_init(o.init, "--init");
  config.sigma = o.sigma;
  config.ldi_samples = o.ldi_samples;
  config.ldi_derivative = parse_derivative(o.derivative, "--derivative");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  config.jobs = o.jobs > 0 ? o.jobs : cores;
  int threads = 1;  // parallel runs each get one thread; one run alone gets what its size needs
  for (const Spec& s : config.specs)
    if (config.jobs == 1 && choose_threads(0, s, config.train.batch_size) == 0) threads = 0;
  set_torch_threads(threads);

  const std::vector<SweepRun> all = plan_sweep(config, data);
  const std::vector<SweepRun> runs = shard_runs(all, shard_k, shard_n);
  RunStore store(o.db);
  const int already = static_cast<int>(store.finished_keys().size());
  std::cerr << "sweep: " << runs.size() << " runs" << (shard_n > 1 ? " (shard " + o.shard + " of " + std::to_string(all.size()) + ")" : "")
            << " on " << data.name << ", " << config.jobs << " at a time, into " << o.db
            << (already ? " (resuming: " + std::to_string(already) + " finished runs in the database)" : "") << "\n";
  const auto start = std::chrono::steady_clock::now();
  int executed = 0;
  const int executed_total = run_sweep(runs, config, data, store, [&](const RunRecord& r, int done, int total) {
    ++executed;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double eta = elapsed / executed * (total - done);
    std::cerr << "[" << done << "/" << total << "] " << r.family << " " << r.cells << " seed " << r.seed << ": "
              << (r.status == "ok" ? "test acc " + fixed(100 * r.test_acc, 2) + " %, NN-Mass " + fixed(r.nn_mass, 2) +
                                         ", LDI " + fixed(r.ldi_mean, 4) + ", " + fixed(r.train_seconds, 1) + " s"
                                   : "FAILED: " + r.error)
              << "  ETA " << clock_text(eta) << "\n";
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
      "FLOPs, LDI at init, training time, test accuracy and loss, spec, links and recipe of each run\n"
      "as one row of a SQLite database (one transaction per run). Running the same command again\n"
      "resumes: finished runs are skipped. --shard k/N runs every N-th run from the k-th (0-based),\n"
      "for a cluster job array; each shard writes its own --db and `nnmass report` merges them.\n"
      "Examples:\n"
      "  nnmass sweep --family mlp --width 8 --depth 16,24,32 --tc 0,4,8,12 --seeds 0,1,2 --epochs 3\n"
      "  nnmass sweep --grid examples/demo-sweep.json --db runs/demo.sqlite\n"
      "  nnmass sweep --grid paper.json --shard $SLURM_ARRAY_TASK_ID/64 --db runs/shard-$SLURM_ARRAY_TASK_ID.sqlite");
  add_spec_flags(cmd, &opt->spec);
  add_data_flags(cmd, &opt->data);
  add_recipe_flags(cmd, &opt->train, &opt->no_augment);
  const std::string g = "Sweep";
  cmd->add_option("--grid", opt->grid, "JSON file with the grid and recipe (the flags' names, '_' for '-'); flags given win")
      ->group(g)->check(CLI::ExistingFile);
  cmd->add_option("--seeds", opt->seeds, "Seeds, comma-separated (each: links, weights, shuffling)")->group(g)->capture_default_str();
  cmd->add_option("--repeats", opt->repeats, "Use seeds 0..N-1 instead of --seeds")->group(g);
  cmd->add_option("--init", opt->init, "default | gaussian | orthogonal")->group(g)->capture_default_str();
  cmd->add_option("--sigma", opt->sigma, "Gaussian std / orthogonal gain")->group(g)->capture_default_str();
  cmd->add_option("--ldi-samples", opt->ldi_samples, "Test images for LDI at init (0: skip)")->group(g)->capture_default_str();
  cmd->add_option("--derivative", opt->derivative, "LDI activation derivative: correct | reference")->group(g)->capture_default_str();
  cmd->add_option("--db", opt->db, "Results database (SQLite)")->group(g)->capture_default_str();
  cmd->add_option("--shard", opt->shard, "Run the k-th of N slices: k/N, 0 <= k < N")->group(g);
  cmd->add_option("--jobs", opt->jobs, "Runs trained at once (0: one per core)")->group(g)->capture_default_str();
  cmd->callback([opt, cmd] { run_sweep_command(*opt, *cmd); });
}

}  // namespace nnmass::cli

// `nnmass score`: architectures x seeds scored at initialization by zero-cost proxies, beside
// NN-Mass, #params and FLOPs, into the results database (and CSV). No training; resumable per
// (run, proxy); --shard k/N. Sources: the architecture flags, --spec, a sweep's --grid,
// NAS-Bench-201 arch strings (--nb201), TorchScript files (--torchscript).
#include <chrono>
#include <cmath>
#include <iostream>
#include <set>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/measure_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "cli/sweep_options.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/score.h"
#include "nnmass/table.h"
#include "nnmass/train/recipe.h"

namespace nnmass::cli {
namespace {

namespace fs = std::filesystem;

struct ScoreCliOptions : SweepCliOptions, ProxyFlags {
  std::string nb201;  // shorthand for --family nb201 --cell LIST
  std::string torchscript;  // TorchScript files, comma-separated
  bool no_data = false, list = false;
  std::string csv;
};

// The sweep's grid fields that mean training: a sweep's grid is read by score without them.
std::vector<std::string> training_fields(const OptionTable& score) {
  SweepCliOptions sweep;
  declare_sweep_options(sweep);
  std::vector<std::string> names;
  for (const Option& o : sweep.table.options()) {
    std::string key = o.name;
    for (char& c : key) c = c == '-' ? '_' : c;
    if (!score.find(o.name)) names.push_back(key);
  }
  return names;
}

void declare(ScoreCliOptions& o) {
  OptionTable& t = o.table;
  add_spec_flags(t, &o.spec);
  t.group("Sources");
  t.add_list("nb201", &o.nb201,
             "NAS-Bench-201 cells: all, arch strings (comma-separated) or @FILE; = --family nb201 --cell LIST");
  t.add("grid", &o.grid, "A sweep's grid file (its training fields are ignored) or {\"models\": [spec, ...]}")
      .in_grid = false;
  t.add_list("torchscript", &o.torchscript,
             "TorchScript files (torch.jit.script or torch.jit.trace, saved), comma-separated: any PyTorch model, "
             "with --input C,H,W (or the data's shape)").in_grid = false;
  add_data_options(t, &o.data);
  t.add_flag("no-data", &o.no_data, "Score without a data set: data-free proxies only (the default for --nb201 "
             "and --torchscript unless --data is given)");
  t.group("Proxies");
  add_proxy_flags(t, &o.proxies, &o);
  t.add_flag("list-proxies", &o.list, "List the proxies, how each is computed, and exit").in_grid = false;
  t.group("Runs");
  add_seed_options(t, &o.seeds, 1);
  add_init_options(t, &o.init, &o.sigma);
  t.add("db", &o.db, "Results database (SQLite; the same format as sweeps)");
  t.add("csv", &o.csv, "Also write every scored run of this command to a CSV file");
  t.add("shard", &o.shard, "Score the k-th of N slices: k/N, 0 <= k < N");
  t.add("jobs", &o.jobs, 0, 1024, "Runs scored at once, one thread each (0: one per core)");
  add_threads_option(t, &o.threads);
  t.add_flag("dry-run", &o.dry_run, "Check everything and print the planned runs; score nothing").in_grid = false;
  add_json_option(t, &o.json);
}

void list_proxies(bool json) {
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const ProxyInfo& p : proxy_catalogue())
      rows.push_back({{"name", p.name}, {"paper", p.paper}, {"bn", p.bn}, {"input", p.input},
                      {"precision", p.precision}, {"summary", p.summary}, {"needs_data", p.needs_data},
                      {"direction", p.direction}});
    std::cout << rows.dump(2) << "\n";
    return;
  }
  for (const ProxyInfo& p : proxy_catalogue())
    std::cout << p.name << (p.needs_data ? "" : "  (data-free)") << "\n  paper:     " << p.paper << "\n  BatchNorm: "
              << p.bn << "\n  input:     " << p.input << "\n  precision: " << p.precision << "\n  score:     "
              << p.summary << "\n  direction: higher predicts higher accuracy\n\n";
}

nlohmann::json record_json(const RunRecord& r) {
  // JSON has no infinity: a score of -inf (Zen's log 0) is written as the string "-inf".
  const auto value = [](double v) {
    return std::isnan(v) ? nlohmann::json() : std::isinf(v) ? nlohmann::json(v > 0 ? "inf" : "-inf") : nlohmann::json(v);
  };
  nlohmann::json proxies = nlohmann::json::object(), seconds = nlohmann::json::object();
  for (const auto& [name, v] : r.proxies) proxies[name] = value(v);
  for (const auto& [name, v] : r.proxy_seconds) seconds[name] = value(v);
  return {{"key", r.key}, {"family", r.family}, {"architecture", r.cells}, {"seed", r.seed}, {"nn_mass", r.nn_mass},
          {"params", r.params}, {"macs", r.macs}, {"flops", r.flops}, {"data", r.data}, {"proxies", proxies},
          {"seconds", seconds}};
}

std::string score_text(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

void run_score(ScoreCliOptions& o) {
  if (o.list) return list_proxies(o.json);
  if (!o.nb201.empty()) {
    if (!o.spec.family.empty() || !o.spec.arch.empty() || !o.spec.spec_file.empty() || !o.spec.example.empty())
      throw SpecError("--nb201 names the architectures itself; drop --family/--arch/--spec/--example");
    o.spec.family = "nb201";
    o.spec.cell = o.nb201;
  }
  int shard_k = 0, shard_n = 1;
  ScoreConfig config;
  std::vector<SweepSpec> specs;
  if (o.torchscript.empty()) {
    specs = read_sweep_options(o, &config.seeds, &shard_k, &shard_n, training_fields(o.table));
  } else {  // the files are the architectures; only --input (and --classes, unused) describe them
    if (const std::string flag = given_architecture_flag(o.table, {"input", "classes"}); !flag.empty() || !o.grid.empty())
      throw SpecError("--torchscript names the models itself; drop --" + (flag.empty() ? std::string("grid") : flag));
    config.torchscripts = split_list(o.torchscript, ',');
    for (const std::string& f : config.torchscripts)
      if (!fs::is_regular_file(f)) throw IoError("--torchscript: no such file " + f);
    parse_shard(o.shard, &shard_k, &shard_n);
    config.seeds = seeds_from_flags(o.seeds, o.table);
    if (o.table.given("input")) config.torchscript_input = parse_int_list(o.spec.input, ',', "--input", 1, kMaxInputDim, 4);
  }
  config.init = parse_init(o.init, "--init");
  config.sigma = o.sigma;
  config.proxies = proxy_options(o.proxies, o.batch, o.gaussian, o.zen_repeats, "--proxies");
  if (o.no_data && o.table.given("data")) throw SpecError("--no-data and --data contradict each other");
  bool nb201 = false;
  for (const SweepSpec& s : specs) nb201 = nb201 || s.spec.family == Family::kNb201;
  if (!config.torchscripts.empty() && !o.table.given("data") && !o.table.given("input") && !o.no_data)
    throw SpecError("--torchscript needs --input C,H,W (the shape of one sample), or --data to take it from");
  // NAS-Bench-201 cells and TorchScript models take 3x32x32 or their own shapes: no default data.
  const bool use_data = !o.no_data && (o.table.given("data") || (!nb201 && config.torchscripts.empty()));
  if (!o.dry_run) check_output_file(o.db, "--db");
  if (!o.csv.empty()) check_output_file(o.csv, "--csv");
  std::optional<DataSplit> data;
  if (use_data) {
    o.data.need_train = true;
    data = load_data(o.data);
  }
  for (const SweepSpec& s : specs)
    config.specs.push_back(data ? fit_spec_to_data(s.spec, *data, s.adopt_input, s.adopt_classes) : s.spec);
  if (!config.torchscripts.empty()) {
    if (config.torchscript_input.empty()) {
      if (!data) throw SpecError("--torchscript needs --input C,H,W (the shape of one sample)");
      config.torchscript_input = data->shape;
    } else if (data && config.torchscript_input != data->shape) {
      throw SpecError("--input does not match the samples of " + data->name + "; drop --input to use the data's shape");
    }
  }
  config.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  set_torch_threads(o.threads > 0 ? o.threads : (config.jobs > 1 ? 1 : 0));
  const std::vector<ScoreRun> all = plan_scores(config, data ? &*data : nullptr);  // refuses proxies that cannot apply
  std::vector<ScoreRun> runs;
  for (size_t i = 0; i < all.size(); ++i)
    if (static_cast<int>(i % shard_n) == shard_k) runs.push_back(all[i]);
  std::set<std::string> names;
  for (const ScoreRun& r : runs) names.insert(r.proxies.begin(), r.proxies.end());
  std::string name_list;
  for (const std::string& n : names) name_list += (name_list.empty() ? "" : ", ") + n;
  if (o.dry_run) {
    std::cout << "score plan: " << runs.size() << " runs (" << config.specs.size() << " architectures x "
              << config.seeds.size() << " seeds" << (shard_n > 1 ? ", shard " + o.shard : std::string()) << ") on "
              << (data ? data->name : std::string("no data")) << "; proxies: " << (name_list.empty() ? "none" : name_list)
              << "; nothing scored (--dry-run)\n";
    return;
  }
  RunStore store(o.db);
  std::cerr << "score: " << runs.size() << " runs on " << (data ? data->name : std::string("no data"))
            << ", proxies " << (name_list.empty() ? "none" : name_list) << ", into " << o.db << "\n";
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  int worked = 0;
  run_scores(
      runs, config, data ? &*data : nullptr, store,
      [&](const RunRecord& r, int done, int total, int measured) {
        ++worked;
        const auto now = std::chrono::steady_clock::now();
        if (done < total && std::chrono::duration<double>(now - last).count() < 5 && worked > 1) return;
        last = now;
        const double elapsed = std::chrono::duration<double>(now - start).count();
        std::cerr << "[" << done << "/" << total << "] " << r.family << " " << r.cells << ": NN-Mass "
                  << fixed(r.nn_mass, 2) << ", " << measured << " proxies; " << fixed(elapsed, 0) << " s elapsed, ETA "
                  << fixed(elapsed / worked * (total - done), 0) << " s\n";
      },
      [](const std::string& w) { std::cerr << "warning: proxy " << w << "\n"; });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::set<std::string> keys;
  for (const ScoreRun& r : runs) keys.insert(r.key);
  std::vector<RunRecord> rows;
  for (RunRecord& r : store.runs())
    if (keys.count(r.key)) rows.push_back(std::move(r));
  if (!o.csv.empty()) write_file_atomic(o.csv, runs_to_csv(rows));
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const RunRecord& r : rows) out.push_back(record_json(r));
    std::cout << nlohmann::json{{"db", o.db}, {"scored", worked}, {"seconds", seconds}, {"runs", out}}.dump(2) << "\n";
    return;
  }
  if (rows.size() <= 20) {
    std::vector<std::string> header = {"architecture", "seed", "NN-Mass", "params", "FLOPs"};
    header.insert(header.end(), names.begin(), names.end());
    Table table(header);
    for (const RunRecord& r : rows) {
      std::vector<std::string> row = {r.family + " " + r.cells, std::to_string(r.seed), fixed(r.nn_mass, 2),
                                      group_digits(r.params), group_digits(r.flops)};
      for (const std::string& n : names) {
        const auto it = r.proxies.find(n);
        row.push_back(it == r.proxies.end() ? "" : score_text(it->second));
      }
      table.add_row(row);
    }
    std::cout << table.render() << "\n";
  }
  std::cout << "scored " << worked << " runs now (" << runs.size() - worked << " already complete) in " << fixed(seconds, 1)
            << " s; results in " << o.db << (o.csv.empty() ? "" : " and " + o.csv)
            << "; compare with accuracies: nnmass report " << o.db << " --truth FILE.csv\n";
}

}  // namespace

void register_score(CLI::App& app) {
  auto opt = std::make_shared<ScoreCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "score",
      "Score architectures at initialization with zero-cost proxies (no training).\n"
      "Each run (architecture x seed) gets NN-Mass, #params, MACs, FLOPs and the proxies asked for, as a\n"
      "row of the same SQLite database sweeps write (proxies in its table proxies); --csv exports them.\n"
      "Running the command again scores only what is missing (a new proxy, a new architecture);\n"
      "--shard k/N scores every N-th run from the k-th. nnmass score --list-proxies says how each proxy\n"
      "is computed (paper, BatchNorm mode, input, precision). Data-needing proxies read batches of the\n"
      "training split (Fashion-MNIST by default; --data FOLDER); --nb201 scores without data unless\n"
      "--data is given.\n"
      "Examples:\n"
      "  nnmass score --nb201 all --proxies data-free --db runs/nb201.sqlite\n"
      "  nnmass score --family cnn --depth 4,8 --width 16 --tc 0,32 --proxies auto --csv scores.csv\n"
      "  nnmass score --grid examples/fmnist-cnn-sweep.json --db runs/fmnist-cnn-scores.sqlite\n"
      "  nnmass score --torchscript model.pt --input 3,32,32 --gaussian\n"
      "  nnmass report runs/nb201.sqlite --truth nats-bench-c10.csv");
  opt->db = "runs/score.sqlite";
  opt->proxies = "auto";
  declare(*opt);
  add_flags(cmd, opt->table);
  cmd->callback([opt] { run_score(*opt); });
}

}  // namespace nnmass::cli

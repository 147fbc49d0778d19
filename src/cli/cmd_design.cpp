// `nnmass design`: the cheapest architecture of a search space whose NN-Mass matches a reference
// (or a target), from the closed form alone; --validate trains the reference and the design with
// the same recipe and seeds and compares their accuracies.
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/data_fit.h"
#include "cli/spec_options.h"
#include "cli/train_flags.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/sweep.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct DesignCliOptions {
  SpecFlags spec;
  std::string example;  // design example: mobilenet_v2 | mlp
  std::string depths, widths, tcs, width_mults, repeats_min, repeats_max;
  double target = -1, tolerance = 0.02;
  bool at_least = false;
  int64_t max_params = 0, max_flops = 0;
  int fixed_width = 0;
  std::string objective = "params";
  std::string save_spec;
  bool json = false;
  int pareto_rows = 12;
  // --validate
  bool validate = false;
  DataOptions data;
  TrainOptions train;
  bool no_augment = false;
  std::string seeds = "0,1,2";
  std::string db = "runs/design.sqlite";
  std::string report = "runs/design-report.md";
};

// "8,12,16", "8-40" or "8-40:4" (inclusive, with a step).
std::vector<int> parse_range(const std::string& text, const char* flag) {
  std::vector<int> values;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    int a = 0, b = 0, step = 1;
    char tail = 0;
    if (std::sscanf(part.c_str(), "%d-%d:%d%c", &a, &b, &step, &tail) == 3 ||
        (step = 1, std::sscanf(part.c_str(), "%d-%d%c", &a, &b, &tail) == 2)) {
      if (step < 1 || b < a) throw SpecError(std::string(flag) + ": bad range \"" + part + "\" (use a-b or a-b:step with a <= b)");
      for (int v = a; v <= b; v += step) values.push_back(v);
    } else if (std::sscanf(part.c_str(), "%d%c", &a, &tail) == 1) {
      values.push_back(a);
    } else {
      throw SpecError(std::string(flag) + " must be integers, ranges a-b or a-b:step, got \"" + part + "\"");
    }
  }
  if (values.empty()) throw SpecError(std::string(flag) + " is empty");
  return values;
}

std::vector<double> parse_reals(const std::string& text, const char* flag) {
  std::vector<double> values;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (part.empty() || *end) throw SpecError(std::string(flag) + " must be numbers, got \"" + part + "\"");
    values.push_back(v);
  }
  return values;
}

// The reference and the default space of each built-in example.
void load_example(DesignCliOptions& o, Spec* reference) {
  if (o.example == "mobilenet_v2") {  // spec §2.3: a deeper, thinner net with x1.4's NN-Mass
    *reference = standard_spec("mobilenet_v2");
    reference->mobilenet.width_mult = 1.4;
    reference->name = "mobilenet_v2 x1.4";
    if (o.width_mults.empty()) o.width_mults = "0.75,1.0,1.1,1.2,1.3,1.4";
    if (o.repeats_min.empty()) o.repeats_min = "1,2,3,4,3,3,1";
    if (o.repeats_max.empty()) o.repeats_max = "2,3,4,5,4,4,1";
    o.tolerance = std::min(o.tolerance, 0.01);
  } else if (o.example == "mlp") {  // a wide Fashion-MNIST MLP, compressed at equal NN-Mass
    *reference = example_spec("mnist_mlp");
    reference->cells = {{24, 16, 16}};
    reference->name = "mlp w16 d24 tc16";
    if (o.widths.empty()) o.widths = "8,10,12,16";  // NN-Mass compares nets of similar width
    if (o.depths.empty()) o.depths = "8-40:4";
    if (o.tcs.empty()) o.tcs = "0-32";
  } else {
    throw SpecError("--case must be mobilenet_v2 or mlp, got \"" + o.example + "\"");
  }
}

DesignSpace make_space(const DesignCliOptions& o, const Spec& ref) {
  DesignSpace s;
  if (is_dense(ref.family)) {
    const Cell& c = ref.cells.front();
    s.depths = o.depths.empty() ? std::vector<int>{c.depth} : parse_range(o.depths, "--depths");
    s.widths = o.fixed_width > 0 ? std::vector<int>{o.fixed_width}
                                 : o.widths.empty() ? std::vector<int>{c.width} : parse_range(o.widths, "--widths");
    s.tcs = o.tcs.empty() ? std::vector<int>{c.tc} : parse_range(o.tcs, "--tcs");
  } else {
    s.width_mults = o.width_mults.empty() ? std::vector<double>{ref.mobilenet.width_mult} : parse_reals(o.width_mults, "--width-mults");
    s.repeats_min = o.repeats_min.empty() ? ref.mobilenet.repeats : parse_range(o.repeats_min, "--repeats-min");
    s.repeats_max = o.repeats_max.empty() ? ref.mobilenet.repeats : parse_range(o.repeats_max, "--repeats-max");
  }
  return s;
}

std::string describe(const Spec& s) {
  if (s.family == Family::kMobileNetV2) {
    std::string r;
    for (int x : s.mobilenet.repeats) r += (r.empty() ? "" : ",") + std::to_string(x);
    return "x" + fixed(s.mobilenet.width_mult, 2) + " [" + r + "]";
  }
  std::string text;
  for (const Cell& c : s.cells)
    text += (text.empty() ? "" : ":") + std::to_string(c.depth) + "x" + std::to_string(c.width) + "x" + std::to_string(c.tc);
  return text;
}

void add_row(Table& t, const std::string& name, const Spec& s, const Cost& ref_cost) {
  const Cost c = count_cost(s);
  t.add_row({name, describe(s), fixed(nn_mass(s), 2), fixed(average_density(s), 4), group_digits(c.params),
             group_digits(c.macs), group_digits(c.flops), fixed(double(c.params) / ref_cost.params, 3),
             fixed(double(c.flops) / ref_cost.flops, 3)});
}

void validate_by_training(DesignCliOptions& o, const CLI::App& cmd, const Spec& reference, const Spec& best) {
  const DataSplit data = load_data(o.data);
  SweepConfig config;
  SpecFlags none;
  none.spec_file = "-";  // treat both specs as fixed: they must fit the data already
  config.specs = {fit_spec_to_data(reference, data, none, cmd), fit_spec_to_data(best, data, none, cmd)};
  std::stringstream in(o.seeds);
  config.seeds.clear();
  for (std::string part; std::getline(in, part, ',');) config.seeds.push_back(std::stoull(part));
  apply_recipe_defaults(data, cmd, &o.train, o.no_augment);
  config.train = o.train;
  validate(config.train);
  config.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  set_torch_threads(1);
  RunStore store(o.db);
  const auto runs = plan_sweep(config, data);
  run_sweep(runs, config, data, store, [](const RunRecord& r, int done, int total) {
    std::cerr << "[" << done << "/" << total << "] " << r.cells << " seed " << r.seed << ": "
              << (r.status == "ok" ? fixed(100 * r.test_acc, 2) + " %" : "FAILED: " + r.error) << "\n";
  });
  // plan_sweep orders runs spec-major, seeds innermost: run i trains specs[i / seeds].
  std::map<std::string, size_t> spec_of;
  for (size_t i = 0; i < runs.size(); ++i) spec_of[runs[i].key] = i / config.seeds.size();
  std::vector<double> acc[2];
  for (const RunRecord& r : store.runs())
    if (auto it = spec_of.find(r.key); it != spec_of.end() && r.status == "ok") acc[it->second].push_back(100 * r.test_acc);
  const auto stats = [&](size_t k) {
    const auto& v = acc[k];
    double m = 0;
    for (double x : v) m += x;
    m /= std::max<size_t>(1, v.size());
    return std::make_pair(m, v.size());
  };
  const auto [ref_acc, ref_n] = stats(0);
  const auto [best_acc, best_n] = stats(1);
  const Cost rc = count_cost(config.specs[0]), bc = count_cost(config.specs[1]);
  const std::string md = "# NN-Mass design validation\n\n| model | architecture | NN-Mass | #params | FLOPs | runs | mean test acc (%) |\n|---|---|---:|---:|---:|---:|---:|\n"
      "| reference | " + describe(config.specs[0]) + " | " + fixed(nn_mass(config.specs[0]), 2) + " | " + group_digits(rc.params) + " | " + group_digits(rc.flops) + " | " + std::to_string(ref_n) + " | " + fixed(ref_acc, 2) + " |\n"
      "| designed | " + describe(config.specs[1]) + " | " + fixed(nn_mass(config.specs[1]), 2) + " | " + group_digits(bc.params) + " | " + group_digits(bc.flops) + " | " + std::to_string(best_n) + " | " + fixed(best_acc, 2) + " |\n\n"
      "Params ratio " + fixed(double(bc.params) / rc.params, 3) + ", FLOPs ratio " + fixed(double(bc.flops) / rc.flops, 3) +
      "; " + data.name + ", " + std::to_string(config.train.epochs) + " epochs, seeds " + o.seeds + ". Runs in " + o.db + ".\n";
  write_file_atomic(o.report, md);
  std::cout << "\nvalidation on " << data.name << " (" << config.train.epochs << " epochs, seeds " << o.seeds << "):\n"
            << "  reference  " << fixed(ref_acc, 2) << " % test accuracy (" << ref_n << " runs)\n"
            << "  designed   " << fixed(best_acc, 2) << " % test accuracy (" << best_n << " runs) at "
            << fixed(double(bc.params) / rc.params, 3) << "x the params, " << fixed(double(bc.flops) / rc.flops, 3)
            << "x the FLOPs\nreport: " << o.report << "\n";
}

void run_design(DesignCliOptions& o, const CLI::App& cmd) {
  Spec reference;
  if (!o.example.empty()) {
    load_example(o, &reference);
  } else {
    const auto specs = specs_from_flags(o.spec, cmd);
    if (specs.size() != 1) throw SpecError("design takes one reference architecture");
    reference = specs.front();
  }
  DesignConstraints k;
  k.target_mass = o.target >= 0 ? o.target : nn_mass(reference);
  k.tolerance = o.tolerance;
  k.at_least = o.at_least;
  k.max_params = o.max_params;
  k.max_flops = o.max_flops;
  const Objective objective = parse_objective(o.objective);
  const DesignSpace space = make_space(o, reference);
  const auto start = std::chrono::steady_clock::now();
  const DesignResult result = design_search(reference, space, k, objective);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json) {
    nlohmann::json pareto = nlohmann::json::array();
    for (const auto& c : result.pareto)
      pareto.push_back({{"spec", spec_to_json(c.spec)}, {"nn_mass", c.mass}, {"params", c.cost.params}, {"macs", c.cost.macs}, {"flops", c.cost.flops}});
    nlohmann::json out = {{"reference", spec_to_json(reference)}, {"target_mass", k.target_mass},
                          {"evaluated", result.evaluated}, {"feasible", result.feasible}, {"seconds", seconds}, {"pareto", pareto}};
    if (result.best) out["best"] = {{"spec", spec_to_json(result.best->spec)}, {"nn_mass", result.best->mass}, {"params", result.best->cost.params},
                                    {"macs", result.best->cost.macs}, {"flops", result.best->cost.flops}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "searched " << group_digits(result.evaluated) << " candidates in " << fixed(seconds, 3) << " s ("
              << group_digits(static_cast<int64_t>(result.evaluated / std::max(seconds, 1e-9))) << "/s); "
              << group_digits(result.feasible) << " meet the constraints (NN-Mass "
              << (k.at_least ? ">= " + fixed(k.target_mass, 2) : fixed(k.target_mass, 2) + " ± " + fixed(100 * k.tolerance, 1) + " %")
              << ", objective " << to_string(objective) << ")\n\n";
    const Cost ref_cost = count_cost(reference);
    Table table({"model", "architecture", "NN-Mass", "density", "params", "MACs", "FLOPs", "params ratio", "FLOPs ratio"});
    add_row(table, "reference", reference, ref_cost);
    if (result.best) add_row(table, "best", result.best->spec, ref_cost);
    if (o.example == "mobilenet_v2") {  // the official ImageNet script's model (spec §2.3)
      Spec paper = reference;
      paper.mobilenet.width_mult = 1.1;
      paper.mobilenet.repeats = {2, 3, 4, 5, 4, 3, 1};
      add_row(table, "paper's model", paper, ref_cost);
    }
    std::cout << table.render();
    Table front({"pareto", "architecture", "NN-Mass", "params", "MACs", "FLOPs"});
    const size_t step = std::max<size_t>(1, result.pareto.size() / o.pareto_rows);
    for (size_t i = 0; i < result.pareto.size(); i += step) {
      const Candidate& c = result.pareto[i];
      front.add_row({std::to_string(i), describe(c.spec), fixed(c.mass, 2), group_digits(c.cost.params), group_digits(c.cost.macs), group_digits(c.cost.flops)});
    }
    std::cout << "\nNN-Mass vs " << to_string(objective) << " frontier of the space (" << result.pareto.size() << " points, every "
              << step << ")\n" << front.render();
  }
  if (!result.best) throw SpecError("no candidate of the space meets the constraints; widen the space or the tolerance");
  if (!o.save_spec.empty()) {
    write_file_atomic(o.save_spec, spec_to_json(result.best->spec).dump(2) + "\n");
    std::cout << "\nbest spec: " << o.save_spec << " (nnmass train --spec " << o.save_spec << ")\n";
  }
  if (o.validate) validate_by_training(o, cmd, reference, result.best->spec);
}

}  // namespace

void register_design(CLI::App& app) {
  auto opt = std::make_shared<DesignCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "design",
      "Design at initialization: the cheapest network with a target NN-Mass.\n"
      "The cheapest architecture of a search space whose NN-Mass matches a\n"
      "reference's (or --target), by exhaustive search of the closed form. Prints the reference and\n"
      "the best candidate side by side and the NN-Mass vs cost frontier; --save-spec writes the best\n"
      "as a spec for nnmass train; --validate trains both with the same recipe and seeds.\n"
      "Ranges: 8,12,16 or 8-40 or 8-40:4.\n"
      "Examples:\n"
      "  nnmass design --case mobilenet_v2\n"
      "  nnmass design --case mlp --validate --epochs 5\n"
      "  nnmass design --family mlp --width 16 --depth 24 --tc 16 --widths 4-16 --depths 8-40:4 --tcs 0-32");
  add_spec_flags(cmd, &opt->spec);
  const std::string g = "Search";
  cmd->add_option("--case", opt->example, "Built-in case: mobilenet_v2 (x1.4 -> deeper, thinner) | mlp")->group(g);
  cmd->add_option("--depths", opt->depths, "Dense: candidate depths (one for all cells)")->group(g);
  cmd->add_option("--widths", opt->widths, "Dense: candidate widths of the first cell")->group(g);
  cmd->add_option("--tcs", opt->tcs, "Dense: candidate t_c (one per cell)")->group(g);
  cmd->add_option("--width-mults", opt->width_mults, "mobilenet_v2: candidate width multipliers")->group(g);
  cmd->add_option("--repeats-min", opt->repeats_min, "mobilenet_v2: fewest blocks per stage (7)")->group(g);
  cmd->add_option("--repeats-max", opt->repeats_max, "mobilenet_v2: most blocks per stage (7)")->group(g);
  cmd->add_option("--target", opt->target, "Target NN-Mass [default: the reference's]")->group(g);
  cmd->add_option("--tolerance", opt->tolerance, "Relative NN-Mass tolerance")->group(g)->capture_default_str();
  cmd->add_flag("--at-least", opt->at_least, "Require NN-Mass >= target instead")->group(g);
  cmd->add_option("--max-params", opt->max_params, "Largest #params allowed (0: any)")->group(g);
  cmd->add_option("--max-flops", opt->max_flops, "Largest FLOPs allowed (0: any)")->group(g);
  cmd->add_option("--fixed-width", opt->fixed_width, "Dense: keep this first-cell width")->group(g);
  cmd->add_option("--objective", opt->objective, "params | macs | flops")->group(g)->capture_default_str();
  cmd->add_option("--save-spec", opt->save_spec, "Write the best candidate's spec (JSON) here")->group("Output");
  cmd->add_option("--pareto-rows", opt->pareto_rows, "Frontier rows printed")->group("Output")->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print JSON")->group("Output");
  cmd->add_flag("--validate", opt->validate, "Train the reference and the best design and compare")->group("Validation");
  add_data_flags(cmd, &opt->data);
  add_recipe_flags(cmd, &opt->train, &opt->no_augment);
  cmd->add_option("--seeds", opt->seeds, "Validation seeds")->group("Validation")->capture_default_str();
  cmd->add_option("--db", opt->db, "Validation runs database")->group("Validation")->capture_default_str();
  cmd->add_option("--report", opt->report, "Validation report (Markdown)")->group("Validation")->capture_default_str();
  cmd->callback([opt, cmd] { run_design(*opt, *cmd); });
}

}  // namespace nnmass::cli

// `nnmass design`: the cheapest architecture of a search space whose NN-Mass matches a reference
// (or a target), from the closed form alone; --validate trains the reference and the design with
// the same recipe and seeds (through the torch plugin) and compares their accuracies.
#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/examples.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/spec_json.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

constexpr size_t kMaxListValues = 100000;  // per search axis

struct DesignCliOptions {
  OptionTable table;
  SpecFlags spec;
  std::string example;  // --case
  std::string depths, widths, tcs, width_mults, repeats_min, repeats_max;
  double target = 0, tolerance = 0.02;
  bool at_least = false;
  int64_t max_params = 0, max_flops = 0;
  int fixed_width = 0;
  std::string objective = "params";
  std::string save_spec;
  bool json = false;
  int pareto_rows = 12;
  bool validate = false;
  SeedFlags seeds;
  DesignValidation validation;
};

std::vector<int> int_values(const std::string& text, const char* flag, int64_t lo, int64_t hi) {
  std::vector<int> values;
  for (int64_t v : parse_int_ranges(text, flag, lo, hi, kMaxListValues)) values.push_back(static_cast<int>(v));
  return values;
}

// The space: the case's (or the reference's own values), each axis replaced where a flag is given.
DesignSpace make_space(const DesignCliOptions& o, const Spec& ref, const DesignSpace& base) {
  DesignSpace s = base;
  const OptionTable& t = o.table;
  if (is_dense(ref.family)) {
    const Cell& c = ref.cells.front();
    if (s.depths.empty()) s.depths = {c.depth};
    if (s.widths.empty()) s.widths = {c.width};
    if (s.tcs.empty()) s.tcs = {c.tc};
    if (t.given("depths")) s.depths = int_values(o.depths, "--depths", 3, kMaxDepth);
    if (t.given("widths")) s.widths = int_values(o.widths, "--widths", 1, kMaxWidth);
    if (t.given("tcs")) s.tcs = int_values(o.tcs, "--tcs", 0, kIntMax);
    if (t.given("fixed-width")) s.widths = {o.fixed_width};
  } else {
    if (s.width_mults.empty()) s.width_mults = {ref.mobilenet.width_mult};
    if (s.repeats_min.empty()) s.repeats_min = ref.mobilenet.repeats;
    if (s.repeats_max.empty()) s.repeats_max = ref.mobilenet.repeats;
    if (t.given("width-mults")) s.width_mults = parse_real_list(o.width_mults, "--width-mults", 0.01, 64);
    if (t.given("repeats-min")) s.repeats_min = int_values(o.repeats_min, "--repeats-min", 0, kMaxDepth);
    if (t.given("repeats-max")) s.repeats_max = int_values(o.repeats_max, "--repeats-max", 0, kMaxDepth);
  }
  return s;
}

// A built-in case validated on data takes the data's input shape and classes; a MobileNet-v2 on
// images of 64 px or less takes the stride-1 (cifar) stem, as the CIFAR re-implementations do, so
// its last feature map is not under 1x1.
void fit_case_to_data(const std::vector<int64_t>& shape, int classes, Spec* spec) {
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  spec->input = spec->family == Family::kMlp ? std::vector<int64_t>{features} : shape;
  spec->classes = classes;
  if (spec->family == Family::kMobileNetV2 && shape.size() == 3 && std::min(shape[1], shape[2]) <= 64)
    spec->mobilenet.stem = Stem::kCifar;
  validate(*spec);
}

void add_row(Table& t, const std::string& name, const Spec& s, const Cost& ref_cost) {
  const Cost c = count_cost(s);
  t.add_row({name, architecture_text(s), fixed(nn_mass(s), 2), fixed(average_density(s), 4), group_digits(c.params),
             group_digits(c.macs), group_digits(c.flops), fixed(double(c.params) / ref_cost.params, 3),
             fixed(double(c.flops) / ref_cost.flops, 3)});
}

nlohmann::json candidate_json(const Candidate& c) {
  return {{"spec", spec_to_json(c.spec)}, {"nn_mass", c.mass}, {"params", c.cost.params},
          {"macs", c.cost.macs},          {"flops", c.cost.flops}};
}

nlohmann::json result_json(const Spec& reference, const DesignConstraints& k, const DesignResult& result, double seconds) {
  nlohmann::json pareto = nlohmann::json::array();
  for (const auto& c : result.pareto) pareto.push_back(candidate_json(c));
  nlohmann::json out = {{"reference", spec_to_json(reference)}, {"target_mass", k.target_mass},
                        {"evaluated", result.evaluated}, {"feasible", result.feasible}, {"seconds", seconds},
                        {"pareto", pareto}};
  if (result.best) out["best"] = candidate_json(*result.best);
  return out;
}

void print_tables(const DesignCliOptions& o, const Spec& reference, const std::optional<Spec>& paper,
                  const DesignConstraints& k, const DesignResult& result, double seconds, Objective objective) {
  std::cout << "searched " << group_digits(result.evaluated) << " candidates in " << fixed(seconds, 3) << " s ("
            << group_digits(static_cast<int64_t>(result.evaluated / std::max(seconds, 1e-9))) << "/s); "
            << group_digits(result.feasible) << " meet the constraints (NN-Mass "
            << (k.at_least ? ">= " + fixed(k.target_mass, 2) : fixed(k.target_mass, 2) + " ± " + fixed(100 * k.tolerance, 1) + " %")
            << ", objective " << to_string(objective) << ")\n\n";
  const Cost ref_cost = count_cost(reference);
  Table table({"model", "architecture", "NN-Mass", "density", "params", "MACs", "FLOPs", "params ratio", "FLOPs ratio"});
  add_row(table, "reference", reference, ref_cost);
  if (result.best) add_row(table, "best", result.best->spec, ref_cost);
  if (paper) add_row(table, paper->name, *paper, ref_cost);
  std::cout << table.render();
  Table front({"pareto", "architecture", "NN-Mass", "params", "MACs", "FLOPs"});
  const size_t step = std::max<size_t>(1, result.pareto.size() / static_cast<size_t>(o.pareto_rows));
  for (size_t i = 0; i < result.pareto.size(); i += step) {
    const Candidate& c = result.pareto[i];
    front.add_row({std::to_string(i), architecture_text(c.spec), fixed(c.mass, 2), group_digits(c.cost.params),
                   group_digits(c.cost.macs), group_digits(c.cost.flops)});
  }
  std::cout << "\nNN-Mass vs " << to_string(objective) << " frontier of the space (" << result.pareto.size()
            << " points, every " << step << ")\n" << front.render();
}

// Every input checked and every output path writable before the search (and any training).
void preflight(DesignCliOptions& o) {
  if (!o.save_spec.empty()) check_output_file(o.save_spec, "--save-spec");
  if (!o.validate) {
    for (const Option& opt : o.table.options())
      if (opt.group == "Validation" && opt.name != "validate" && o.table.given(opt.name))
        throw SpecError("--" + opt.name + " applies only with --validate");
    return;
  }
  if (!torch_hooks().validate_design) throw Error("internal error: --validate without the torch plugin loaded");
  o.validation.seeds = seeds_from_flags(o.seeds, o.table);
  check_output_file(o.validation.db, "--db");
  check_output_file(o.validation.report, "--report");
}

void run_design(DesignCliOptions& o) {
  Spec reference;
  DesignSpace base;
  std::optional<Spec> paper;
  if (!o.example.empty()) {
    if (const std::string flag = given_architecture_flag(o.table); !flag.empty())
      throw SpecError("--case brings its own reference; drop --" + flag + " (or drop --case)");
    const DesignCase c = design_case(o.example);
    reference = c.reference;
    base = c.space;
    paper = c.paper_model;
    if (!o.table.given("tolerance")) o.tolerance = c.tolerance;
    if (o.validate) {  // the search runs at the validation data's input, where the costs count
      if (!torch_hooks().data_shape) throw Error("internal error: --validate without the torch plugin loaded");
      std::vector<int64_t> shape;
      int classes = 0;
      torch_hooks().data_shape(o.validation.data, &shape, &classes);  // read once for both specs
      fit_case_to_data(shape, classes, &reference);
      if (paper) fit_case_to_data(shape, classes, &*paper);
    }
  } else {
    const auto specs = specs_from_flags(o.spec, o.table);
    if (specs.size() != 1) throw SpecError("design takes one reference architecture, the flags describe " +
                                           std::to_string(specs.size()));
    reference = specs.front();
  }
  check_family_options(o.table, to_string(reference.family));
  DesignConstraints k;
  k.target_mass = o.table.given("target") ? o.target : nn_mass(reference);
  k.tolerance = o.tolerance;
  k.at_least = o.at_least;
  k.max_params = o.max_params;
  k.max_flops = o.max_flops;
  const Objective objective = parse_objective(o.objective);
  const DesignSpace space = make_space(o, reference, base);
  preflight(o);
  const auto start = std::chrono::steady_clock::now();
  const DesignResult result = design_search(reference, space, k, objective);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.json) print_tables(o, reference, paper, k, result, seconds, objective);
  if (!result.best) {
    if (o.json) std::cout << result_json(reference, k, result, seconds).dump(2) << "\n";
    throw SpecError("no candidate of the space meets the constraints; widen the space or the tolerance");
  }
  if (!o.save_spec.empty()) {
    write_file_atomic(o.save_spec, spec_to_json(result.best->spec).dump(2) + "\n");
    if (!o.json) std::cout << "\nbest spec: " << o.save_spec << " (nnmass train --spec " << o.save_spec << ")\n";
  }
  o.validation.json = o.json;
  nlohmann::json out = o.json ? result_json(reference, k, result, seconds) : nlohmann::json();
  if (o.validate) out["validation"] = torch_hooks().validate_design(o.table, o.validation, reference, result.best->spec);
  if (o.json) std::cout << out.dump(2) << "\n";
}

void declare(DesignCliOptions& o) {
  OptionTable& t = o.table;
  add_spec_flags(t, &o.spec);
  t.group("Search");
  t.add("case", &o.example,
        "Built-in case. mlp (w16 d24 t_c16) and cnn (Fashion-MNIST, d8 w8:16:16 t_c8:16:16) keep the "
        "reference's widths and trade depth for links, as the paper compares NN-Mass at equal width; "
        "mobilenet_v2: x1.4 -> deeper, thinner (the paper's). With --validate the case takes the data's "
        "input and classes (MobileNet-v2 at 64 px or less: the stride-1 stem)", design_case_names());
  const std::vector<std::string> dense = {"mlp", "cnn", "dwcnn"}, mobilenet = {"mobilenet_v2"};
  t.add_list("depths", &o.depths, "Dense: candidate depths, one for all cells (8,12 or 8-40 or 8-40:4)").families = dense;
  t.add_list("widths", &o.widths, "Dense: candidate widths of the first cell").families = dense;
  t.add_list("tcs", &o.tcs, "Dense: candidate t_c, one per cell").families = dense;
  t.add_list("width-mults", &o.width_mults, "mobilenet_v2: candidate width multipliers (0.75,1.0)").families = mobilenet;
  t.add_list("repeats-min", &o.repeats_min, "mobilenet_v2: fewest blocks per stage (7 values)").families = mobilenet;
  t.add_list("repeats-max", &o.repeats_max, "mobilenet_v2: most blocks per stage (7 values)").families = mobilenet;
  t.add("target", &o.target, 1e-9, 1e15, "Target NN-Mass [default: the reference's]").default_text = "";
  t.add("tolerance", &o.tolerance, 0, 10, "Relative NN-Mass tolerance [default: 0.02; the case's]");
  t.add_flag("at-least", &o.at_least, "Require NN-Mass >= target instead");
  t.add("max-params", &o.max_params, 0, std::numeric_limits<int64_t>::max(), "Largest #params allowed (0: any)");
  t.add("max-flops", &o.max_flops, 0, std::numeric_limits<int64_t>::max(), "Largest FLOPs allowed (0: any)");
  Option& fixed = t.add("fixed-width", &o.fixed_width, 1, kMaxWidth, "Dense: keep this first-cell width");
  fixed.default_text = "";
  fixed.families = dense;
  t.add("objective", &o.objective, "What the design minimises", {"params", "macs", "flops"});
  t.group("Output");
  t.add("save-spec", &o.save_spec, "Write the best candidate's spec (JSON) here");
  t.add("pareto-rows", &o.pareto_rows, 1, 100000, "Frontier rows printed");
  add_json_option(t, &o.json);
  t.group("Validation");
  t.add_flag("validate", &o.validate, "Train the reference and the best design and compare");
  add_seed_options(t, &o.seeds, 3);
  o.validation.db = "runs/design.sqlite";
  o.validation.report = "runs/design-report.md";
  t.add("db", &o.validation.db, "Validation runs database");
  t.add("report", &o.validation.report, "Validation report (Markdown)");
  add_data_options(t, &o.validation.data);
  add_recipe_options(t, &o.validation.train, &o.validation.no_augment);
  for (Option& opt : t.options())
    if (opt.group == "Data" || opt.group == "Training") opt.group = "Validation";
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
      "  nnmass design --case cnn --validate --epochs 3 --limit-train 20000\n"
      "  nnmass design --family mlp --width 16 --depth 24 --tc 16 --widths 4-16 --depths 8-40:4 --tcs 0-32");
  declare(*opt);
  add_flags(cmd, opt->table);
  cmd->callback([opt] { run_design(*opt); });
}

}  // namespace nnmass::cli

// `nnmass mass`: NN-Density, NN-Mass, #params, MACs and FLOPs of one architecture (a table per
// cell or block) or of a grid of them (a row per model), as text or --json.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "cli/spec_options.h"
#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/summary.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct MassOptions {
  OptionTable table;
  SpecFlags spec;
  bool json = false;
};

std::string describe(const Spec& spec) {
  std::string text = spec.name.empty() ? to_string(spec.family) : spec.name + " (" + to_string(spec.family) + ")";
  std::string shape;
  for (int64_t d : spec.input) shape += (shape.empty() ? "" : "x") + std::to_string(d);
  if (spec.family == Family::kNb201) text += " " + architecture_text(spec);
  return text + ", input " + shape + ", " + std::to_string(spec.classes) + " classes";
}

std::string cells_text(const Spec& spec, int Cell::*field) {
  std::string text;
  for (const Cell& c : spec.cells) text += (text.empty() ? "" : ":") + std::to_string(c.*field);
  return text;
}

void print_model(const Spec& spec) {
  std::cout << describe(spec) << "\n\n";
  if (is_dense(spec.family)) {
    Table table({"cell", "d", "w", "t_c", "links", "possible", "density", "mass"});
    const auto terms = mass_terms(spec);
    for (size_t c = 0; c < spec.cells.size(); ++c) {
      const Cell& cell = spec.cells[c];
      table.add_row({std::to_string(c), std::to_string(cell.depth), std::to_string(cell.width),
                     std::to_string(cell.tc), group_digits(terms[c].links),
                     group_digits(terms[c].possible), fixed(terms[c].density, 5),
                     fixed(terms[c].mass, 3)});
    }
    std::cout << table.render();
  } else {
    Table table({"block", "volume", "links", "possible", "density", "mass"});
    for (const MassTerm& t : mass_terms(spec))
      table.add_row({t.label, group_digits(t.volume), group_digits(t.links),
                     group_digits(t.possible), fixed(t.density, 5), fixed(t.mass, 3)});
    std::cout << table.render();
  }
  const Cost cost = count_cost(spec);
  std::cout << "\nNN-Mass     " << fixed(nn_mass(spec), 3) << "\nNN-Density  "
            << fixed(average_density(spec), 5) << "\nparams      " << group_digits(cost.params)
            << "\nMACs        " << group_digits(cost.macs) << "\nFLOPs       "
            << group_digits(cost.flops) << "\n";
}

void print_grid(const std::vector<Spec>& specs) {
  if (!is_dense(specs.front().family)) {  // one architecture text per model
    Table table({"model", "architecture", "density", "NN-Mass", "params", "MACs", "FLOPs"});
    for (size_t k = 0; k < specs.size(); ++k) {
      const Cost cost = count_cost(specs[k]);
      table.add_row({std::to_string(k), architecture_text(specs[k]), fixed(average_density(specs[k]), 5),
                     fixed(nn_mass(specs[k]), 3), group_digits(cost.params), group_digits(cost.macs),
                     group_digits(cost.flops)});
    }
    std::cout << to_string(specs.front().family) << ", " << specs.size() << " models\n\n" << table.render();
    return;
  }
  Table table({"model", "d", "w", "t_c", "density", "NN-Mass", "params", "MACs", "FLOPs"});
  for (size_t k = 0; k < specs.size(); ++k) {
    const Spec& s = specs[k];
    const Cost cost = count_cost(s);
    table.add_row({std::to_string(k), cells_text(s, &Cell::depth), cells_text(s, &Cell::width),
                   cells_text(s, &Cell::tc), fixed(average_density(s), 5), fixed(nn_mass(s), 3),
                   group_digits(cost.params), group_digits(cost.macs), group_digits(cost.flops)});
  }
  std::cout << describe(specs.front()) << "\n\n" << table.render();
}

void run_mass(const MassOptions& opt) {
  const std::vector<Spec> specs = specs_from_flags(opt.spec, opt.table);
  if (opt.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Spec& s : specs) out.push_back(summary_json(s));
    std::cout << (specs.size() == 1 ? out[0] : out).dump(2) << "\n";
  } else if (specs.size() == 1) {
    print_model(specs.front());
  } else {
    print_grid(specs);
  }
}

}  // namespace

void register_mass(CLI::App& app) {
  auto opt = std::make_shared<MassOptions>();
  CLI::App* cmd = app.add_subcommand(
      "mass",
      "NN-Density, NN-Mass, #params, MACs and FLOPs in closed form.\n"
      "  params: all weights and biases, BatchNorm affine weights included (not running stats).\n"
      "  MACs:   multiply-accumulates of Linear and Conv layers.\n"
      "  FLOPs:  2*MACs + bias additions (the official code's convention); BatchNorm,\n"
      "          activations, pooling and residual additions are not counted.\n"
      "Examples:\n"
      "  nnmass mass --family mlp --width 8 --depth 20 --tc 7\n"
      "  nnmass mass --family mlp --width 8 --depth 16,24,32 --tc 0,4,8     (a grid: 9 models)\n"
      "  nnmass mass --family dwcnn --depth 13 --width 32:64:128 --tc 40:80:125 --head reference\n"
      "  nnmass mass --arch resnet50 --json");
  add_spec_flags(opt->table, &opt->spec);
  opt->table.group("Output");
  add_json_option(opt->table, &opt->json);
  opt->table.options().back().help =
      "Print JSON: one object per model (an array for a grid) with the spec, nn_mass, average_density, params, "
      "macs, flops, activations and the per-cell/per-block terms";
  add_flags(cmd, opt->table);
  cmd->callback([opt] { run_mass(*opt); });
}

}  // namespace nnmass::cli

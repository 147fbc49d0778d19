// `design --validate` (in the torch plugin): trains the reference and the design with the same
// recipe and seeds as a two-model sweep, and reports their mean test accuracies side by side.
#include <iostream>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/statistics.h"
#include "nnmass/sweep/sweep.h"
#include "nnmass/table.h"
#include "nnmass/train/recipe.h"

namespace nnmass::cli {
namespace {

std::string seeds_text(const std::vector<uint64_t>& seeds) {
  std::string text;
  for (uint64_t s : seeds) text += (text.empty() ? "" : ",") + std::to_string(s);
  return text;
}

// Test accuracies (%) of each spec's finished runs, in seed order; plan_sweep orders runs spec-major.
std::vector<std::vector<double>> accuracies(const std::vector<SweepRun>& runs, size_t seeds, const RunStore& store) {
  std::map<std::string, double> acc_of;
  for (const RunRecord& r : store.runs())
    if (r.status == "ok") acc_of[r.key] = 100 * r.test_acc;
  std::vector<std::vector<double>> acc(2);
  for (size_t i = 0; i < runs.size(); ++i)
    if (auto it = acc_of.find(runs[i].key); it != acc_of.end()) acc[i / seeds].push_back(it->second);
  return acc;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? std::nan("") : sum / v.size();
}

std::string values_text(const std::vector<double>& v) {
  std::string text;
  for (double x : v) text += (text.empty() ? "" : ", ") + fixed(x, 2);
  return text;
}

// design - reference in points with Welch's 95 % interval, when both have 2+ finished runs.
std::optional<MeanDifference> difference(const std::vector<std::vector<double>>& acc) {
  if (acc[0].size() < 2 || acc[1].size() < 2) return std::nullopt;
  return welch_difference(acc[1], acc[0]);
}

std::string difference_text(const std::optional<MeanDifference>& d) {
  if (!d) return "n/a (fewer than 2 finished runs of a model)";
  return (d->difference >= 0 ? "+" : "") + fixed(d->difference, 2) + " points, 95 % CI [" + fixed(d->ci.lo, 2) + ", " +
         fixed(d->ci.hi, 2) + "] (Welch, df " + fixed(d->df, 1) + ")";
}

std::string report_markdown(const SweepConfig& config, const std::vector<std::vector<double>>& acc,
                            const DesignValidation& v, const std::string& data) {
  std::string md = "# NN-Mass design validation\n\n| model | architecture | NN-Mass | #params | FLOPs | runs | "
                   "mean test acc (%) | per seed (%) |\n|---|---|---:|---:|---:|---:|---:|---|\n";
  const char* names[] = {"reference", "designed"};
  for (size_t k = 0; k < 2; ++k) {
    const Spec& s = config.specs[k];
    const Cost c = count_cost(s);
    md += std::string("| ") + names[k] + " | " + architecture_text(s) + " | " + fixed(nn_mass(s), 2) + " | " +
          group_digits(c.params) + " | " + group_digits(c.flops) + " | " + std::to_string(acc[k].size()) + " | " +
          fixed(mean_of(acc[k]), 2) + " | " + values_text(acc[k]) + " |\n";
  }
  const Cost rc = count_cost(config.specs[0]), bc = count_cost(config.specs[1]);
  return md + "\nDesigned minus reference: " + difference_text(difference(acc)) + ".\n\nParams ratio " +
         fixed(double(bc.params) / rc.params, 3) + ", FLOPs ratio " + fixed(double(bc.flops) / rc.flops, 3) + "; " +
         data + ", " + std::to_string(config.train.epochs) + " epochs, seeds " + seeds_text(v.seeds) + ". Runs in " +
         v.db + ".\n";
}

nlohmann::json validate_design(const OptionTable& table, const DesignValidation& v, const Spec& reference,
                               const Spec& design) {
  const DataSplit data = load_data(v.data);
  SweepConfig config;
  // Both specs are fixed architectures: they must fit the data as they are.
  config.specs = {fit_spec_to_data(reference, data, false, false), fit_spec_to_data(design, data, false, false)};
  config.seeds = v.seeds;
  config.conv_ldi_samples = 0;  // the comparison is of accuracies (a MobileNet's conv LDI costs minutes)
  config.train = v.train;
  apply_official_recipe(data, table, v.no_augment, &config.train);
  validate(config.train);
  config.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  check_memory(training_bytes(config.specs[0], config.train.batch_size) * config.jobs,
               "training the reference " + std::to_string(config.jobs) + " at a time");
  set_torch_threads(1);
  RunStore store(v.db);
  const auto runs = plan_sweep(config, data);
  run_sweep(runs, config, data, store, [](const RunRecord& r, int done, int total) {
    std::cerr << "[" << done << "/" << total << "] " << r.cells << " seed " << r.seed << ": "
              << (r.status == "ok" ? fixed(100 * r.test_acc, 2) + " %" : "FAILED: " + r.error) << "\n";
  });
  const std::vector<std::vector<double>> acc = accuracies(runs, config.seeds.size(), store);
  write_file_atomic(v.report, report_markdown(config, acc, v, data.name));
  const Cost rc = count_cost(config.specs[0]), bc = count_cost(config.specs[1]);
  const std::optional<MeanDifference> diff = difference(acc);
  const auto fraction = [](const std::vector<double>& percent) {
    nlohmann::json out = nlohmann::json::array();
    for (double p : percent) out.push_back(p / 100);
    return out;
  };
  nlohmann::json result = {{"data", data.name}, {"epochs", config.train.epochs}, {"seeds", v.seeds},
                           {"reference_test_acc", mean_of(acc[0]) / 100}, {"reference_runs", acc[0].size()},
                           {"reference_test_accs", fraction(acc[0])},
                           {"design_test_acc", mean_of(acc[1]) / 100}, {"design_runs", acc[1].size()},
                           {"design_test_accs", fraction(acc[1])},
                           {"params_ratio", double(bc.params) / rc.params},
                           {"flops_ratio", double(bc.flops) / rc.flops}, {"db", v.db}, {"report", v.report}};
  if (diff)  // in accuracy (fractions), as the other fields
    result["difference"] = {{"design_minus_reference", diff->difference / 100},
                            {"ci95", {diff->ci.lo / 100, diff->ci.hi / 100}}, {"df", diff->df}, {"method", "welch"}};
  if (v.json) return result;
  std::cout << "\nvalidation on " << data.name << " (" << config.train.epochs << " epochs, seeds " << seeds_text(v.seeds)
            << "):\n  reference  " << fixed(mean_of(acc[0]), 2) << " % test accuracy (" << acc[0].size() << " runs)\n"
            << "  designed   " << fixed(mean_of(acc[1]), 2) << " % test accuracy (" << acc[1].size() << " runs) at "
            << fixed(double(bc.params) / rc.params, 3) << "x the params, " << fixed(double(bc.flops) / rc.flops, 3)
            << "x the FLOPs\n  designed - reference: " << difference_text(diff) << "\nreport: " << v.report << "\n";
  return result;
}

void data_shape(const DataOptions& options, std::vector<int64_t>* shape, int* classes) {
  const DataSplit data = load_data(options);
  *shape = data.shape;
  *classes = static_cast<int>(data.classes);
}

}  // namespace

void register_design_validation(TorchHooks* hooks) {
  hooks->validate_design = &validate_design;
  hooks->data_shape = &data_shape;
}

}  // namespace nnmass::cli

// `design --validate` (in the torch plugin): trains the reference and the design with the same
// recipe and seeds as a two-model sweep, and reports their mean test accuracies side by side.
#include <iostream>
#include <map>
#include <thread>

#include "cli/commands.h"
#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/memory.h"
#include "nnmass/sweep/sweep.h"
#include "nnmass/table.h"
#include "nnmass/train/recipe.h"

namespace nnmass::cli {
namespace {

struct Accuracy {
  double mean = 0;
  size_t runs = 0;
};

std::string seeds_text(const std::vector<uint64_t>& seeds) {
  std::string text;
  for (uint64_t s : seeds) text += (text.empty() ? "" : ",") + std::to_string(s);
  return text;
}

// Mean test accuracy (%) of each spec's finished runs; plan_sweep orders runs spec-major.
std::vector<Accuracy> accuracies(const std::vector<SweepRun>& runs, size_t seeds, const RunStore& store) {
  std::map<std::string, size_t> spec_of;
  for (size_t i = 0; i < runs.size(); ++i) spec_of[runs[i].key] = i / seeds;
  std::vector<Accuracy> acc(2);
  for (const RunRecord& r : store.runs())
    if (auto it = spec_of.find(r.key); it != spec_of.end() && r.status == "ok") {
      acc[it->second].mean += 100 * r.test_acc;
      ++acc[it->second].runs;
    }
  for (Accuracy& a : acc) a.mean /= std::max<size_t>(1, a.runs);
  return acc;
}

std::string report_markdown(const SweepConfig& config, const std::vector<Accuracy>& acc, const DesignValidation& v,
                            const std::string& data) {
  std::string md = "# NN-Mass design validation\n\n| model | architecture | NN-Mass | #params | FLOPs | runs | mean test acc (%) |\n"
                   "|---|---|---:|---:|---:|---:|---:|\n";
  const char* names[] = {"reference", "designed"};
  for (size_t k = 0; k < 2; ++k) {
    const Spec& s = config.specs[k];
    const Cost c = count_cost(s);
    md += std::string("| ") + names[k] + " | " + architecture_text(s) + " | " + fixed(nn_mass(s), 2) + " | " +
          group_digits(c.params) + " | " + group_digits(c.flops) + " | " + std::to_string(acc[k].runs) + " | " +
          fixed(acc[k].mean, 2) + " |\n";
  }
  const Cost rc = count_cost(config.specs[0]), bc = count_cost(config.specs[1]);
  return md + "\nParams ratio " + fixed(double(bc.params) / rc.params, 3) + ", FLOPs ratio " +
         fixed(double(bc.flops) / rc.flops, 3) + "; " + data + ", " + std::to_string(config.train.epochs) +
         " epochs, seeds " + seeds_text(v.seeds) + ". Runs in " + v.db + ".\n";
}

nlohmann::json validate_design(const OptionTable& table, const DesignValidation& v, const Spec& reference,
                               const Spec& design) {
  const DataSplit data = load_data(v.data);
  SweepConfig config;
  // Both specs are fixed architectures: they must fit the data as they are.
  config.specs = {fit_spec_to_data(reference, data, false, false), fit_spec_to_data(design, data, false, false)};
  config.seeds = v.seeds;
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
  const std::vector<Accuracy> acc = accuracies(runs, config.seeds.size(), store);
  write_file_atomic(v.report, report_markdown(config, acc, v, data.name));
  const Cost rc = count_cost(config.specs[0]), bc = count_cost(config.specs[1]);
  const nlohmann::json result = {{"data", data.name}, {"epochs", config.train.epochs}, {"seeds", v.seeds},
                                  {"reference_test_acc", acc[0].mean / 100}, {"reference_runs", acc[0].runs},
                                  {"design_test_acc", acc[1].mean / 100}, {"design_runs", acc[1].runs},
                                  {"params_ratio", double(bc.params) / rc.params},
                                  {"flops_ratio", double(bc.flops) / rc.flops}, {"db", v.db}, {"report", v.report}};
  if (v.json) return result;
  std::cout << "\nvalidation on " << data.name << " (" << config.train.epochs << " epochs, seeds " << seeds_text(v.seeds)
            << "):\n  reference  " << fixed(acc[0].mean, 2) << " % test accuracy (" << acc[0].runs << " runs)\n"
            << "  designed   " << fixed(acc[1].mean, 2) << " % test accuracy (" << acc[1].runs << " runs) at "
            << fixed(double(bc.params) / rc.params, 3) << "x the params, " << fixed(double(bc.flops) / rc.flops, 3)
            << "x the FLOPs\nreport: " << v.report << "\n";
  return result;
}

}  // namespace

void register_design_validation(TorchHooks* hooks) { hooks->validate_design = &validate_design; }

}  // namespace nnmass::cli

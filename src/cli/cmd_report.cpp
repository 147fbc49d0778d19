// `nnmass report DB...`: statistics, plots and a Markdown report of one or more sweep databases
// (shards are merged); --csv exports the runs table. Databases are opened read-only, and a file
// nnmass did not write is refused.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "cli/common_flags.h"
#include "cli/option_flags.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/report/report.h"
#include "nnmass/report/truth.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct ReportCliOptions {
  OptionTable table;
  std::vector<std::string> dbs;
  ReportOptions report;
  bool no_plots = false;
  std::string csv;
  std::string truth, truth_key, truth_acc;
  bool json = false;
};

std::string num(double v, int decimals) { return std::isnan(v) ? "-" : fixed(v, decimals); }

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

nlohmann::json interval_json(const Interval& i) {
  return nlohmann::json::array({number_or_null(i.lo), number_or_null(i.hi)});
}

nlohmann::json to_json(const std::vector<PredictorStats>& stats, const ReportFiles& files, size_t runs) {
  nlohmann::json predictors = nlohmann::json::array();
  for (const PredictorStats& s : stats)
    predictors.push_back({{"predictor", s.predictor}, {"n", s.c.n}, {"r2", number_or_null(s.c.r2)},
                          {"pearson", number_or_null(s.c.pearson)}, {"spearman", number_or_null(s.c.spearman)},
                          {"kendall", number_or_null(s.c.kendall)},
                          {"ci95", {{"r2", interval_json(s.ci.r2)}, {"pearson", interval_json(s.ci.pearson)},
                                    {"spearman", interval_json(s.ci.spearman)}, {"kendall", interval_json(s.ci.kendall)},
                                    {"resamples", s.ci.resamples}}}});
  return {{"runs", runs}, {"predictors", predictors}, {"markdown", files.markdown}, {"plots", files.plots},
          {"csv", files.csv}};
}

// --truth: accuracies from the user's table; the runs it does not name leave the report.
std::vector<RunRecord> with_truth(std::vector<RunRecord> runs, ReportCliOptions& o) {
  const TruthTable truth = read_truth_csv(o.truth, o.truth_key, o.truth_acc);
  const size_t matched = join_truth(runs, truth);
  if (matched == 0)
    throw SpecError("--truth: no run's architecture (runs.csv column cells, e.g. " +
                    (runs.empty() ? std::string("-") : "\"" + runs.front().cells + "\"") + ") is in column " +
                    truth.key_column + " of " + o.truth);
  std::vector<RunRecord> kept;
  for (RunRecord& r : runs)
    if (!std::isnan(r.test_acc)) kept.push_back(std::move(r));
  o.report.accuracy_source = "column " + truth.acc_column + (truth.percent ? " (percent)" : "") + " of " + o.truth +
                             ", joined on column " + truth.key_column + ": " + std::to_string(matched) + " of " +
                             std::to_string(runs.size()) + " runs matched";
  std::cerr << "report: accuracy from " << o.report.accuracy_source << "\n";
  return kept;
}

void run_report(ReportCliOptions& o) {
  std::vector<RunRecord> runs = read_runs(o.dbs);  // refuses files nnmass did not write
  if (!o.csv.empty()) check_output_file(o.csv, "--csv");
  check_output_dir(o.report.out_dir, "--out");
  if (!o.truth.empty()) {
    runs = with_truth(std::move(runs), o);
  } else if (std::none_of(runs.begin(), runs.end(), [](const RunRecord& r) { return !std::isnan(r.test_acc); })) {
    throw SpecError("the runs have no test accuracy (scored, not trained): give --truth FILE.csv with an accuracy "
                    "per architecture");
  }
  if (!o.csv.empty()) write_file_atomic(o.csv, runs_to_csv(runs));
  o.report.plots = !o.no_plots;
  const ReportFiles files = write_report(runs, o.report);
  const std::vector<PredictorStats>& stats = files.stats;
  if (o.json) {
    std::cout << to_json(stats, files, runs.size()).dump(2) << "\n";
    return;
  }
  if (!o.csv.empty()) std::cout << "runs table: " << o.csv << " (" << runs.size() << " rows)\n";
  Table table({"predictor", "n", "R²", "Pearson", "Spearman", "Kendall τ-b", "Spearman 95 % CI"});
  for (const PredictorStats& s : stats)
    table.add_row({s.predictor, std::to_string(s.c.n), num(s.c.r2, 3), num(s.c.pearson, 3), num(s.c.spearman, 3),
                   num(s.c.kendall, 3),
                   std::isnan(s.ci.spearman.lo) ? "-" : "[" + num(s.ci.spearman.lo, 2) + ", " + num(s.ci.spearman.hi, 2) + "]"});
  std::cout << "test accuracy against each predictor, all runs:\n\n" << table.render() << "\nreport: " << files.markdown
            << "\nplots:  " << files.plots.size() << " files in " << o.report.out_dir << "/plots/\nruns:   " << files.csv
            << "\n";
}

}  // namespace

void register_report(CLI::App& app) {
  auto opt = std::make_shared<ReportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Statistics, plots and a Markdown report of sweep databases.\n"
      "Shards are merged; databases are opened read-only. R², Pearson, Spearman and Kendall τ-b of\n"
      "test accuracy against NN-Mass, #params, FLOPs, LDI and the zero-cost proxies stored, over all\n"
      "runs and per group, with 95 % bootstrap intervals; accuracy\n"
      "by NN-Mass bucket and by depth; plots (gnuplot, PNG and SVG); a Markdown report.\n"
      "Examples:\n"
      "  nnmass report runs/demo.sqlite --out runs/demo-report\n"
      "  nnmass report runs/nb201.sqlite --truth nats-c10.csv --out runs/nb201-report");
  cmd->add_option("db", opt->dbs, "Results databases written by nnmass sweep or nnmass score")->required()->check(CLI::ExistingFile);
  OptionTable& t = opt->table;
  t.group("Report");
  t.add("out", &opt->report.out_dir, "Report folder (report.md, plots/, runs.csv)");
  t.add("group-by", &opt->report.group_by, "Group the per-group statistics by", {"depth", "width", "tc", "family"});
  t.add("buckets", &opt->report.buckets, 1, 1000, "NN-Mass buckets in the accuracy table");
  t.add_flag("no-plots", &opt->no_plots, "Do not render plots");
  t.add("csv", &opt->csv, "Also export the runs table to this CSV file");
  t.add("truth", &opt->truth,
        "CSV of accuracies by architecture (e.g. NATS-Bench's NAS-Bench-201 table): replaces test accuracy; "
        "matched on the runs' architecture text (the arch string for nb201)");
  t.add("truth-key", &opt->truth_key, "--truth: the architecture column [default: arch, arch_str, arch_string, "
        "architecture or cells]");
  t.add("truth-acc", &opt->truth_acc, "--truth: the accuracy column, fraction or % [default: test_acc, "
        "test_accuracy, accuracy, acc or top1]");
  add_json_option(t, &opt->json);
  add_flags(cmd, t);
  cmd->callback([opt] { run_report(*opt); });
}

}  // namespace nnmass::cli

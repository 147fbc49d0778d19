// `nnmass report DB...`: statistics, plots and a Markdown report of one or more sweep databases
// (shards are merged); --csv exports the runs table.
#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/report/report.h"
#include "nnmass/table.h"

namespace nnmass::cli {
namespace {

struct ReportCliOptions {
  std::vector<std::string> dbs;
  ReportOptions report;
  bool no_plots = false;
  std::string csv;
};

std::string num(double v, int decimals) { return std::isnan(v) ? "-" : fixed(v, decimals); }

void run_report(ReportCliOptions& o) {
  const std::vector<RunRecord> runs = read_runs(o.dbs);
  if (!o.csv.empty()) {
    write_file_atomic(o.csv, runs_to_csv(runs));
    std::cout << "runs table: " << o.csv << " (" << runs.size() << " rows)\n";
  }
  o.report.plots = !o.no_plots;
  const ReportFiles files = write_report(runs, o.report);
  Table table({"predictor", "n", "R²", "Pearson", "Spearman", "Kendall τ-b"});
  for (const PredictorStats& s : predictor_stats(runs))
    table.add_row({s.predictor, std::to_string(s.c.n), num(s.c.r2, 3), num(s.c.pearson, 3), num(s.c.spearman, 3),
                   num(s.c.kendall, 3)});
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
      "Shards are merged. R², Pearson, Spearman and Kendall τ-b of\n"
      "test accuracy against NN-Mass, #params, FLOPs and LDI, over all runs and per group; accuracy\n"
      "by NN-Mass bucket and by depth; plots (gnuplot, PNG and SVG); a Markdown report.\n"
      "Example:\n"
      "  nnmass report runs/demo.sqlite --out runs/demo-report");
  cmd->add_option("db", opt->dbs, "Results databases written by nnmass sweep")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", opt->report.out_dir, "Report folder (report.md, plots/, runs.csv)")->capture_default_str();
  cmd->add_option("--group-by", opt->report.group_by, "depth | width | tc | family")->capture_default_str();
  cmd->add_option("--buckets", opt->report.buckets, "NN-Mass buckets in the accuracy table")->capture_default_str();
  cmd->add_flag("--no-plots", opt->no_plots, "Do not render plots");
  cmd->add_option("--csv", opt->csv, "Also export the runs table to this CSV file");
  cmd->callback([opt] { run_report(*opt); });
}

}  // namespace nnmass::cli

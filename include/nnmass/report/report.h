// The sweep report: how well NN-Mass, #params, FLOPs and LDI predict test accuracy (R^2 of a
// linear fit, Pearson, Spearman, Kendall tau-b) over all runs and per group (e.g. per depth);
// accuracy grouped by NN-Mass bucket and by depth; per-architecture means over seeds; plots
// rendered by gnuplot (PNG and SVG); and a Markdown file that embeds them.
#pragma once

#include <string>
#include <vector>

#include "nnmass/statistics.h"
#include "nnmass/sweep/store.h"

namespace nnmass {

struct ReportOptions {
  std::string out_dir = "report";  // report.md, plots/*.png|svg, runs.csv
  std::string group_by = "depth";  // depth | width | tc | family
  int buckets = 6;                 // NN-Mass buckets (equal width)
  bool plots = true;               // render plots with gnuplot
  std::string accuracy_source;     // where test accuracy came from when not trained (--truth), for the header
};

// One predictor's correlations with accuracy over a set of runs.
struct PredictorStats {
  std::string predictor;  // "NN-Mass", "#params", "FLOPs", "LDI mean σ"
  Correlations c;
  CorrelationIntervals ci;  // 95 % percentile-bootstrap intervals over the runs
};

// Correlations of test accuracy with each predictor over `runs` (status "ok" only; a predictor
// missing in some runs, like LDI of CNNs, uses the runs that have it).
std::vector<PredictorStats> predictor_stats(const std::vector<RunRecord>& runs);

struct ReportFiles {
  std::string markdown;
  std::vector<std::string> plots;
  std::string csv;
  std::vector<PredictorStats> stats;  // over all finished runs, as in the report (bootstraps are not cheap)
};

// Writes the report of `runs`; IoError if a file cannot be written or gnuplot fails.
ReportFiles write_report(const std::vector<RunRecord>& runs, const ReportOptions& options);

// The group value of a run for options.group_by, as text.
std::string group_of(const RunRecord& run, const std::string& group_by);

}  // namespace nnmass

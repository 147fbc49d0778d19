// Tests of the sweep report (report/): predictor_stats against correlate() on the same columns
// (failed runs ignored, NaN LDI excluded); write_report on a hand-made store of 12 runs over two
// depths: the files it writes, the plots gnuplot renders (PNG signature, SVG), and the numbers in
// the Markdown, computed here by hand; its errors (bad group_by, no finished runs) before any file
// is written; and, when the test is built with NNMASS_BIN, `nnmass sweep` + `nnmass report` end to
// end with their exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/report/report.h"
#include "nnmass/statistics.h"
#include "nnmass/sweep/store.h"
#include "scratch_dir.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using test::ScratchDir;



std::string f3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

bool gnuplot_available() {
  static const bool ok = std::system("gnuplot --version >/dev/null 2>&1") == 0;
  return ok;
}

// A finished MLP run with the columns the report reads, set by hand.
RunRecord run(int depth, int tc, int seed, double mass, int64_t params, double ldi, double acc) {
  RunRecord r;
  r.key = "d" + std::to_string(depth) + "t" + std::to_string(tc) + "s" + std::to_string(seed);
  r.status = "ok";
  r.family = "mlp";
  r.depth = depth;
  r.width = 8;
  r.tc = tc;
  r.cells = std::to_string(depth) + "x8x" + std::to_string(tc);
  r.seed = seed;
  r.nn_mass = mass;
  r.params = params;
  r.macs = params;
  r.flops = 2 * params;
  r.ldi_mean = ldi;
  r.ldi_std = std::isnan(ldi) ? kNaN : 0.01;
  r.test_acc = acc;
  r.test_loss = 1 - acc;
  r.epochs = 1;
  r.data = "circle";
  r.nnmass_version = "0.1.0";
  r.finished_at = "2024-05-01T12:00:00Z";
  return r;
}

// The sweep of the report tests: 6 architectures (depth 4: t_c 0, 1, 2; depth 8: t_c 0, 2, 4)
// x 2 seeds = 12 finished runs, plus one failed run with extreme values (it must not count).
//   arch       NN-Mass  #params  LDI    acc seed 0 / 1 (%)
//   4x8x0      1.0      100      0.90   80 / 82
//   4x8x1      2.0      110      0.95   83 / 85
//   4x8x2      3.0      120      1.00   86 / 84
//   8x8x0      2.5      200      1.10   81 / 79
//   8x8x2      4.0      230      1.20   88 / 86
//   8x8x4      6.0      260      NaN    90 / 92      (no LDI: the LDI row has n = 10)
std::vector<RunRecord> sweep_runs() {
  struct Arch { int depth, tc; double mass; int64_t params; double ldi, acc0, acc1; };
  const Arch archs[] = {{4, 0, 1.0, 100, 0.90, 0.80, 0.82}, {4, 1, 2.0, 110, 0.95, 0.83, 0.85},
                        {4, 2, 3.0, 120, 1.00, 0.86, 0.84}, {8, 0, 2.5, 200, 1.10, 0.81, 0.79},
                        {8, 2, 4.0, 230, 1.20, 0.88, 0.86}, {8, 4, 6.0, 260, kNaN, 0.90, 0.92}};
  std::vector<RunRecord> runs;
  for (const Arch& a : archs) {
    runs.push_back(run(a.depth, a.tc, 0, a.mass, a.params, a.ldi, a.acc0));
    runs.push_back(run(a.depth, a.tc, 1, a.mass, a.params, a.ldi, a.acc1));
  }
  RunRecord failed = run(16, 9, 0, 100.0, 99999, 5.0, 0.0);
  failed.status = "failed";
  failed.error = "training diverged: the loss is nan at epoch 1";
  runs.insert(runs.begin() + 5, failed);
  return runs;
}

// Plain Pearson r (its own loop, not the library's).
double plain_pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / x.size(), my += y[i] / y.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

void expect_same(const Correlations& a, const Correlations& b, const std::string& what) {
  EXPECT_EQ(a.n, b.n) << what;
  for (const auto& [x, y, name] : {std::tuple{a.r2, b.r2, "r2"}, std::tuple{a.pearson, b.pearson, "pearson"},
                                   std::tuple{a.spearman, b.spearman, "spearman"}, std::tuple{a.kendall, b.kendall, "kendall"}}) {
    if (std::isnan(y)) EXPECT_TRUE(std::isnan(x)) << what << " " << name << " = " << x;
    else EXPECT_NEAR(x, y, 1e-12) << what << " " << name;
  }
}

// ---------------------------------------------------------------------------------------------

TEST(PredictorStats, EqualsCorrelateOnTheFinishedRuns) {
  const std::vector<RunRecord> runs = sweep_runs();
  const std::vector<PredictorStats> stats = predictor_stats(runs);
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(stats[0].predictor, "NN-Mass");
  EXPECT_EQ(stats[1].predictor, "#params");
  EXPECT_EQ(stats[2].predictor, "FLOPs");
  EXPECT_EQ(stats[3].predictor, "LDI mean σ");

  // The columns, by hand from the table above (the failed run left out).
  const std::vector<double> mass = {1, 1, 2, 2, 3, 3, 2.5, 2.5, 4, 4, 6, 6};
  const std::vector<double> params = {100, 100, 110, 110, 120, 120, 200, 200, 230, 230, 260, 260};
  const std::vector<double> acc = {.80, .82, .83, .85, .86, .84, .81, .79, .88, .86, .90, .92};
  std::vector<double> flops;
  for (double p : params) flops.push_back(2 * p);
  // LDI: the last architecture has none, so 10 runs.
  const std::vector<double> ldi = {.90, .90, .95, .95, 1.0, 1.0, 1.1, 1.1, 1.2, 1.2};
  const std::vector<double> ldi_acc(acc.begin(), acc.begin() + 10);

  expect_same(stats[0].c, correlate(mass, acc), "NN-Mass");
  expect_same(stats[1].c, correlate(params, acc), "#params");
  expect_same(stats[2].c, correlate(flops, acc), "FLOPs");
  expect_same(stats[3].c, correlate(ldi, ldi_acc), "LDI");
  EXPECT_EQ(stats[0].c.n, 12);
  EXPECT_EQ(stats[3].c.n, 10);
  EXPECT_NEAR(stats[0].c.r2, std::pow(plain_pearson(mass, acc), 2), 1e-12);
  // FLOPs = 2 x #params here: the same correlations.
  EXPECT_NEAR(stats[1].c.pearson, stats[2].c.pearson, 1e-12);

  // Hand-checkable case: NN-Mass {1..5} vs accuracy {.2,.1,.4,.3,.5} is the statistics test's
  // example (Pearson 0.8, Spearman 0.8, Kendall 0.6) with y scaled by 1/10.
  std::vector<RunRecord> five;
  const double acc5[] = {.2, .1, .4, .3, .5};
  for (int i = 0; i < 5; ++i) five.push_back(run(4, i, 0, i + 1.0, 100 + i, 1.0, acc5[i]));
  const PredictorStats m = predictor_stats(five)[0];
  EXPECT_EQ(m.c.n, 5);
  EXPECT_NEAR(m.c.pearson, 0.8, 1e-12);
  EXPECT_NEAR(m.c.r2, 0.64, 1e-12);
  EXPECT_NEAR(m.c.spearman, 0.8, 1e-12);
  EXPECT_NEAR(m.c.kendall, 0.6, 1e-12);
  // LDI is constant (1.0) there: no defined correlation -> NaN, with n = 5.
  const PredictorStats l = predictor_stats(five)[3];
  EXPECT_EQ(l.c.n, 5);
  EXPECT_TRUE(std::isnan(l.c.pearson) && std::isnan(l.c.spearman) && std::isnan(l.c.kendall) && std::isnan(l.c.r2));

  // Fewer than two usable runs: n says how many, the statistics are NaN (no exception).
  std::vector<RunRecord> one = {runs[0], runs[5]};  // one ok run and the failed one
  ASSERT_EQ(runs[5].status, "failed");
  for (const PredictorStats& s : predictor_stats(one)) {
    EXPECT_EQ(s.c.n, 1) << s.predictor;
    EXPECT_TRUE(std::isnan(s.c.pearson)) << s.predictor;
  }
  for (const PredictorStats& s : predictor_stats({})) EXPECT_EQ(s.c.n, 0) << s.predictor;
}

// A proxy with -inf scores (NASWOT on a degenerate network): Pearson and R² are undefined, and so
// are their intervals, though resamples that miss the -inf runs would give finite values; the rank
// statistics and their intervals stay defined.
TEST(PredictorStats, NoIntervalAroundAnUndefinedStatistic) {
  std::vector<RunRecord> runs;
  for (int i = 0; i < 12; ++i) {
    RunRecord r = run(4, i, 0, i + 1.0, 100 + i, 1.0, 0.5 + 0.01 * i);
    r.proxies["naswot"] = i == 0 ? -INFINITY : i * 2.0;
    runs.push_back(r);
  }
  const auto stats = predictor_stats(runs);
  const auto it = std::find_if(stats.begin(), stats.end(), [](const PredictorStats& s) { return s.predictor == "naswot"; });
  ASSERT_NE(it, stats.end());
  EXPECT_TRUE(std::isnan(it->c.pearson) && std::isnan(it->c.r2));
  EXPECT_TRUE(std::isnan(it->ci.pearson.lo) && std::isnan(it->ci.pearson.hi));
  EXPECT_TRUE(std::isnan(it->ci.r2.lo) && std::isnan(it->ci.r2.hi));
  EXPECT_NEAR(it->c.spearman, 1.0, 1e-12);
  EXPECT_FALSE(std::isnan(it->ci.spearman.lo));
}

// write_report on a store written here; Markdown numbers checked against hand computations.
//   Depth 4 accuracies (%) 80, 82, 83, 85, 86, 84: mean 500/6 = 83.33; deviations
//     -3.33, -1.33, -0.33, 1.67, 2.67, 0.67, squares sum 23.33, / 5 = 4.667 -> sd 2.16;
//     mean NN-Mass (1+1+2+2+3+3)/6 = 2.000; mean #params 110.
//   Depth 8: 81, 79, 88, 86, 90, 92: mean 86.00; deviations -5,-7,2,0,4,6, squares 130, /5 = 26
//     -> sd 5.10; mean NN-Mass (2.5+4+6)*2/6 = 4.167; mean #params 230.
//   NN-Mass buckets (6, equal width over [1, 6]: width 5/6): the runs at 2.0 ((2-1)/(5/6) = 1.2)
//     and 2.5 (1.8) share bucket 1 = [1.83, 2.67]: 83, 85, 81, 79 -> mean 82.00, deviations
//     1, 3, -1, -3 -> sd sqrt(20/3) = 2.58, depths 4 and 8, mean #params (110+110+200+200)/4 = 155.
//     Bucket 4 = [4.33, 5.17] holds no run and is not listed.
//   Architecture 8x8x4: NN-Mass 6, 260 params, 520 FLOPs, no LDI ("–"), 2 seeds, 90 / 92 ->
//     mean 91.00, sd sqrt(2) = 1.41.
void check_markdown(const std::string& md, const std::vector<RunRecord>& runs) {
  EXPECT_NE(md.find("12 finished runs (1 failed) — data: circle; family: mlp; epochs: 1."), std::string::npos) << md;
  // Overall correlation rows: n and every statistic with 3 decimals, R² from a plain Pearson.
  std::vector<double> mass, acc;
  for (const RunRecord& r : runs)
    if (r.status == "ok") mass.push_back(r.nn_mass), acc.push_back(r.test_acc);
  const Correlations c = correlate(mass, acc);
  const double r = plain_pearson(mass, acc);
  const std::string row = "| NN-Mass | 12 | " + f3(r * r) + " | " + f3(r) + " | " + f3(c.spearman) + " | " +
                          f3(c.kendall) + " |";
  EXPECT_NE(md.find(row), std::string::npos) << "expected " << row << " in\n" << md;
  EXPECT_NE(md.find("| LDI mean σ | 10 | "), std::string::npos) << md;
  // Per depth: a heading with the run count and a table whose NN-Mass row has n = 6.
  for (int depth : {4, 8}) {
    const std::string heading = "**depth " + std::to_string(depth) + "** (6 runs)";
    const size_t at = md.find(heading);
    ASSERT_NE(at, std::string::npos) << heading << "\n" << md;
    std::vector<double> m, a;
    for (const RunRecord& x : runs)
      if (x.status == "ok" && x.depth == depth) m.push_back(x.nn_mass), a.push_back(x.test_acc);
    const double rd = plain_pearson(m, a);
    const std::string depth_row = "| NN-Mass | 6 | " + f3(rd * rd) + " | " + f3(rd) + " | ";
    EXPECT_EQ(md.find(depth_row, at), md.find("| NN-Mass | 6 |", at)) << depth_row << "\n" << md;
    EXPECT_NE(md.find(depth_row, at), std::string::npos) << depth_row << "\n" << md;
  }
  // Accuracy by depth (group table).
  EXPECT_NE(md.find("| 4 | 6 | 83.33 | 2.16 | 2.000 | 110 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 8 | 6 | 86.00 | 5.10 | 4.167 | 230 |"), std::string::npos) << md;
  // Buckets.
  EXPECT_NE(md.find("| 1.83 – 2.67 | 4 | 4, 8 | 82.00 | 2.58 | 155 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| 4.33 – 5.17 |"), std::string::npos) << md;
  // Architecture means over seeds.
  EXPECT_NE(md.find("| mlp 8x8x4 | 6.000 | 260 | 520 | – | 2 | 91.00 | 1.41 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| mlp 4x8x0 | 1.000 | 100 | 200 | 0.9000 | 2 | 81.00 | 1.41 |"), std::string::npos) << md;
  // The failed run (NN-Mass 100, depth 16) appears nowhere in the statistics.
  EXPECT_EQ(md.find("100.000"), std::string::npos) << md;
  EXPECT_EQ(md.find("depth 16"), std::string::npos) << md;
  EXPECT_EQ(md.find("| 16 |"), std::string::npos) << md;
}

TEST(WriteReport, MarkdownCsvAndPlotsMatchTheStore) {
  ScratchDir dir;
  const std::string db = dir.file("sweep.sqlite");
  {
    RunStore store(db);
    for (const RunRecord& r : sweep_runs()) store.put(r);
  }
  const std::vector<RunRecord> runs = read_runs({db});
  ASSERT_EQ(runs.size(), 13u);

  // Without plots: Markdown and CSV only.
  ReportOptions text;
  text.out_dir = dir.file("text");
  text.plots = false;
  const ReportFiles t = write_report(runs, text);
  EXPECT_EQ(t.markdown, dir.file("text/report.md"));
  EXPECT_EQ(t.csv, dir.file("text/runs.csv"));
  EXPECT_TRUE(t.plots.empty());
  const std::string md = test::read_bytes(t.markdown);
  check_markdown(md, runs);
  EXPECT_NE(md.find("(plots not rendered)"), std::string::npos);
  EXPECT_EQ(md.find(".png"), std::string::npos);
  // runs.csv is the whole table, failed run included.
  EXPECT_EQ(test::read_bytes(t.csv), runs_to_csv(runs));

  // With plots (gnuplot), into a folder whose name has a space.
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed: plots not tested";
  ReportOptions full;
  full.out_dir = dir.file("with plots/report");
  const ReportFiles f = write_report(runs, full);
  check_markdown(test::read_bytes(f.markdown), runs);
  // The statistics it returns are those of the report's first table (the CLI prints them).
  const std::vector<PredictorStats> expected_stats = predictor_stats(runs);
  ASSERT_EQ(f.stats.size(), expected_stats.size());
  for (size_t i = 0; i < f.stats.size(); ++i) {
    EXPECT_EQ(f.stats[i].predictor, expected_stats[i].predictor);
    EXPECT_EQ(f.stats[i].c.n, expected_stats[i].c.n);
    EXPECT_EQ(f.stats[i].ci.spearman.lo, expected_stats[i].ci.spearman.lo);
  }
  const std::set<std::string> expected = {
      dir.file("with plots/report/plots/acc_vs_nnmass.png"), dir.file("with plots/report/plots/acc_vs_nnmass.svg"),
      dir.file("with plots/report/plots/acc_vs_params.png"), dir.file("with plots/report/plots/acc_vs_params.svg"),
      dir.file("with plots/report/plots/ldi_vs_nnmass.png"), dir.file("with plots/report/plots/ldi_vs_nnmass.svg"),
      dir.file("with plots/report/plots/acc_vs_params_by_nnmass.png"),
      dir.file("with plots/report/plots/acc_vs_params_by_nnmass.svg")};
  EXPECT_EQ(std::set<std::string>(f.plots.begin(), f.plots.end()), expected);
  for (const std::string& p : expected) {
    ASSERT_TRUE(fs::is_regular_file(p)) << p;
    EXPECT_GT(fs::file_size(p), 100u) << p;
    const std::string bytes = test::read_bytes(p);
    if (p.substr(p.size() - 4) == ".png") EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << p;
    else EXPECT_NE(bytes.find("<svg"), std::string::npos) << p;
  }
  const std::string fmd = test::read_bytes(f.markdown);
  for (const char* name : {"acc_vs_nnmass", "acc_vs_params", "ldi_vs_nnmass", "acc_vs_params_by_nnmass"}) {
    EXPECT_NE(fmd.find(std::string("![") + name + "](plots/" + name + ".png)"), std::string::npos) << name;
    EXPECT_NE(fmd.find(std::string("([SVG](plots/") + name + ".svg))"), std::string::npos) << name;
  }
  EXPECT_EQ(fmd.find("(plots not rendered)"), std::string::npos);
}

// "Similar NN-Mass, different size": only pairs within 5 % of NN-Mass and 1.3x apart in #params,
// largest ratio first, with the accuracies' means, sds and difference; none in the base sweep.
TEST(WriteReport, SimilarMassPairs) {
  ScratchDir dir;
  std::vector<RunRecord> runs = sweep_runs();
  ReportOptions o;
  o.out_dir = dir.file("base");
  o.plots = false;
  EXPECT_NE(test::read_bytes(write_report(runs, o).markdown)
                .find("No two architectures with NN-Mass within 5 % differ in #params by 1.3× or more."),
            std::string::npos);
  // 12x8x1: NN-Mass 2.05 (2.5 % from 4x8x1's 2.0), 150 params (1.36x); 16x8x3: NN-Mass 2.08, 330
  // params (3x 4x8x1, 2.2x 12x8x1); 20x8x5: NN-Mass 2.3, too far from all.
  for (int seed : {0, 1}) {
    runs.push_back(run(12, 1, seed, 2.05, 150, 1.0, seed ? 0.86 : 0.84));
    runs.push_back(run(16, 3, seed, 2.08, 330, 1.0, 0.80));
    runs.push_back(run(20, 5, seed, 2.3, 500, 1.0, 0.80));
  }
  o.out_dir = dir.file("pairs");
  const std::string md = test::read_bytes(write_report(runs, o).markdown);
  const size_t at = md.find("## Similar NN-Mass, different size");
  ASSERT_NE(at, std::string::npos) << md;
  const std::string first = "| mlp 4x8x1 | mlp 16x8x3 | 2.00 / 2.08 | 110 / 330 (3.00×) | 84.00 ± 1.41 | 80.00 ± 0.00 | -4.00 |";
  const std::string second = "| mlp 12x8x1 | mlp 16x8x3 | 2.05 / 2.08 | 150 / 330 (2.20×) | 85.00 ± 1.41 | 80.00 ± 0.00 | -5.00 |";
  const std::string third = "| mlp 4x8x1 | mlp 12x8x1 | 2.00 / 2.05 | 110 / 150 (1.36×) | 84.00 ± 1.41 | 85.00 ± 1.41 | +1.00 |";
  EXPECT_LT(md.find(first, at), md.find(second, at)) << md;
  EXPECT_LT(md.find(second, at), md.find(third, at)) << md;
  EXPECT_NE(md.find(third, at), std::string::npos) << md;
  EXPECT_EQ(md.find("| mlp 20x8x5 |", at), md.find("| mlp 20x8x5 | 2.300", at)) << "20x8x5 belongs to no pair\n" << md;
}

TEST(WriteReport, GroupsAndErrors) {
  ScratchDir dir;
  const std::vector<RunRecord> runs = sweep_runs();

  // Grouping by t_c: t_c 0 (4x8x0 and 8x8x0: 4 runs), 1 (2), 2 (4), 4 (2).
  ReportOptions by_tc;
  by_tc.out_dir = dir.file("tc");
  by_tc.group_by = "tc";
  by_tc.plots = false;
  const std::string md = test::read_bytes(write_report(runs, by_tc).markdown);
  for (const char* heading : {"**tc 0** (4 runs)", "**tc 1** (2 runs)", "**tc 2** (4 runs)", "**tc 4** (2 runs)"})
    EXPECT_NE(md.find(heading), std::string::npos) << heading << "\n" << md;
  EXPECT_NE(md.find("| tc | runs | mean test acc (%)"), std::string::npos) << md;
  // t_c 0: 80, 82, 81, 79 -> mean 80.50.
  EXPECT_NE(md.find("| 0 | 4 | 80.50 |"), std::string::npos) << md;
  ReportOptions by_family = by_tc;
  by_family.out_dir = dir.file("family");
  by_family.group_by = "family";
  EXPECT_NE(test::read_bytes(write_report(runs, by_family).markdown).find("**family mlp** (12 runs)"), std::string::npos);

  // Errors come before any file is written: the folder is not even created.
  ReportOptions bad = by_tc;
  bad.out_dir = dir.file("bad-group");
  bad.group_by = "colour";
  EXPECT_THROW(write_report(runs, bad), SpecError);
  EXPECT_FALSE(fs::exists(bad.out_dir));
  bad.out_dir = dir.file("bad-buckets");
  bad.group_by = "depth";
  bad.buckets = 0;
  EXPECT_THROW(write_report(runs, bad), SpecError);
  EXPECT_FALSE(fs::exists(bad.out_dir));

  ReportOptions none = by_tc;
  none.out_dir = dir.file("none");
  std::vector<RunRecord> failed;
  for (RunRecord r : runs) {
    r.status = "failed";
    failed.push_back(r);
  }
  EXPECT_THROW(write_report(failed, none), IoError);
  EXPECT_THROW(write_report({}, none), IoError);
  EXPECT_FALSE(fs::exists(none.out_dir));

  // One bucket: every run in it.
  ReportOptions one_bucket = by_tc;
  one_bucket.out_dir = dir.file("one-bucket");
  one_bucket.buckets = 1;
  EXPECT_NE(test::read_bytes(write_report(runs, one_bucket).markdown).find("| 1.00 – 6.00 | 12 | 4, 8 |"), std::string::npos);
}

// KNOWN BUG (disabled until fixed in src/report/report.cpp): groups are keyed by their text in a
// std::map<std::string, ...>, so depths 4, 8, 16 are listed "16, 4, 8" in the per-group sections
// and the accuracy-by-depth table (and the plot legends). Run with --gtest_also_run_disabled_tests.
TEST(WriteReport, GroupsAreListedInNumericOrder) {
  ScratchDir dir;
  std::vector<RunRecord> runs;
  for (int depth : {16, 4, 8})
    for (int seed : {0, 1}) runs.push_back(run(depth, 0, seed, depth / 4.0, 10 * depth, 1.0, 0.5 + 0.01 * depth + 0.001 * seed));
  ReportOptions o;
  o.out_dir = dir.file("order");
  o.plots = false;
  const std::string md = test::read_bytes(write_report(runs, o).markdown);
  const size_t d4 = md.find("**depth 4**"), d8 = md.find("**depth 8**"), d16 = md.find("**depth 16**");
  ASSERT_TRUE(d4 != std::string::npos && d8 != std::string::npos && d16 != std::string::npos) << md;
  EXPECT_LT(d4, d8) << md;
  EXPECT_LT(d8, d16) << md;
  const size_t t4 = md.find("\n| 4 | 2 |"), t8 = md.find("\n| 8 | 2 |"), t16 = md.find("\n| 16 | 2 |");
  ASSERT_TRUE(t4 != std::string::npos && t8 != std::string::npos && t16 != std::string::npos) << md;
  EXPECT_LT(t4, t8) << md;
  EXPECT_LT(t8, t16) << md;
}

// KNOWN BUG (disabled until fixed in src/report/report.cpp, plot()): paths are pasted into the
// gnuplot script and the shell command between single quotes without escaping, so an out_dir
// with an apostrophe makes gnuplot fail ("Cannot load input from 'its/plots/...'"), and the
// error blames a missing gnuplot; a crafted --out could run a shell command.
TEST(WriteReport, PlotsInAFolderWithAnApostrophe) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed";
  ScratchDir dir;
  ReportOptions o;
  o.out_dir = dir.file("it's/report");
  const ReportFiles f = write_report(sweep_runs(), o);
  EXPECT_EQ(f.plots.size(), 8u);
  EXPECT_TRUE(fs::is_regular_file(dir.file("it's/report/plots/acc_vs_nnmass.png")));
}

// ---------------------------------------------------------------------------------------------
// The command-line verbs, end to end (the binary's path comes from the build: NNMASS_BIN).

struct Result {
  int code = -1;
  std::string out, err;
};

Result run_cli(const ScratchDir& dir, const std::string& args) {
#ifdef NNMASS_BIN
  const std::string out = dir.file("stdout"), err = dir.file("stderr");
  const std::string command = std::string(NNMASS_BIN) + " " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = test::read_bytes(out);
  r.err = test::read_bytes(err);
  return r;
#else
  (void)dir;
  (void)args;
  return {};
#endif
}

TEST(CliSweepReport, SweepResumeReportAndBadShard) {
#ifndef NNMASS_BIN
  GTEST_SKIP() << "built without NNMASS_BIN (the nnmass binary's path)";
#endif
  ScratchDir dir;
  const std::string db = dir.file("runs/sweep.sqlite");
  // 2 depths x 2 t_c x 2 seeds = 8 tiny runs on the synthetic circle set.
  const std::string sweep = "sweep --data circle --limit-train 240 --limit-test 60 --family mlp --width 4 "
                            "--depth 4,5 --tc 0,1 --seeds 0,1 --epochs 1 --ldi-samples 8 --jobs 1 --db '" + db + "'";
  Result r = run_cli(dir, sweep);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep done: 8 runs now, 0 already finished"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[8/8]"), std::string::npos) << r.err;
  // The same command again resumes: nothing left to do.
  r = run_cli(dir, sweep);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep done: 0 runs now, 8 already finished"), std::string::npos) << r.out;
  EXPECT_EQ(read_runs({db}).size(), 8u);

  const std::string out = dir.file("report");
  r = run_cli(dir, "report '" + db + "' --out '" + out + "' --csv '" + dir.file("all.csv") + "'" +
                       (gnuplot_available() ? "" : " --no-plots"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(out + "/report.md"));
  EXPECT_TRUE(fs::is_regular_file(out + "/runs.csv"));
  EXPECT_EQ(test::read_bytes(dir.file("all.csv")), runs_to_csv(read_runs({db})));
  EXPECT_NE(test::read_bytes(out + "/report.md").find("8 finished runs (0 failed)"), std::string::npos);
  if (gnuplot_available()) {
    EXPECT_TRUE(fs::is_regular_file(out + "/plots/acc_vs_nnmass.png"));
  }
  EXPECT_NE(r.out.find("NN-Mass"), std::string::npos) << r.out;  // the terminal summary table

  // Bad input: exit 2, one `error:` line, nothing written.
  for (const char* shard : {"2/2", "0/0", "-1/3", "x"}) {
    const std::string bad_db = dir.file("bad.sqlite");
    r = run_cli(dir, sweep.substr(0, sweep.find("--db")) + "--db '" + bad_db + "' --shard=" + shard);
    EXPECT_EQ(r.code, 2) << shard << ": " << r.err;
    EXPECT_EQ(r.out, "") << shard;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << shard << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << shard << ": " << r.err;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(bad_db)) << shard;
  }
  r = run_cli(dir, "report '" + db + "' --no-plots --out '" + dir.file("bad-report") + "' --group-by colour");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("bad-report")));
}

// KNOWN BUG (disabled until fixed in src/cli/cmd_sweep.cpp, parse_shard): sscanf("%d/%d")
// ignores what follows the two numbers, so "--shard 0/1x" (or "1/4/8") is accepted as 0/1.
TEST(CliSweepReport, ShardWithTrailingTextIsRejected) {
#ifndef NNMASS_BIN
  GTEST_SKIP() << "built without NNMASS_BIN (the nnmass binary's path)";
#endif
  ScratchDir dir;
  for (const char* shard : {"0/1x", "1/4/8"}) {
    const Result r = run_cli(dir, "sweep --data circle --limit-train 60 --limit-test 20 --family mlp --width 4 "
                                  "--depth 4 --tc 0 --epochs 1 --ldi-samples 0 --jobs 1 --db '" +
                                      dir.file("x.sqlite") + "' --shard=" + shard);
    EXPECT_EQ(r.code, 2) << shard << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace nnmass

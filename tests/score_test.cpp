// Proxies in the results store, `nnmass score` runs (resume per proxy, jobs), sweeps that fill in
// proxies for finished runs without retraining, the report's proxy rows, and --truth tables.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nnmass/data/synthetic.h"
#include "nnmass/error.h"
#include "nnmass/report/report.h"
#include "nnmass/report/truth.h"
#include "nnmass/sweep/score.h"
#include "nnmass/sweep/sweep.h"
#include "scratch_dir.h"
#include "sweep_test_support.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

Spec tiny_nb201(const std::string& arch) {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 8, 8};
  s.classes = 4;
  s.nb201.cell = parse_nb201_cell(arch);
  s.nb201.channels = 2;
  s.nb201.cells_per_stage = 1;
  return s;
}

const char* kA = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";
const char* kB = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

ScoreConfig nb201_config(const std::string& proxies) {
  ScoreConfig c;
  c.specs = {tiny_nb201(kA), tiny_nb201(kB)};
  c.seeds = {0, 1};
  c.proxies = parse_proxy_list(proxies, "--proxies");
  c.proxies.batch_size = 6;
  c.proxies.gaussian = true;
  return c;
}

TEST(ProxyStore, ProxiesRoundTripIncludingInfinityAndNaNAndOldStoresGainTheTable) {
  ScratchDir dir;
  const std::string db = dir.file("s.sqlite");
  RunRecord r;
  r.key = "k1";
  r.status = "ok";
  r.cells = "a";
  r.proxies = {{"zen", -INFINITY}, {"synflow", 1.5e300}, {"snip", std::nan("")}};
  r.proxy_seconds = {{"zen", 0.25}, {"synflow", 0.5}, {"snip", 0.125}};
  {
    RunStore store(db);
    store.put(r);
    store.put_proxies("k1", {{"meco", 2.0}}, {{"meco", 1.0}});
  }
  const RunRecord back = read_runs({db}).front();
  EXPECT_EQ(back.proxies.at("zen"), -INFINITY);
  EXPECT_EQ(back.proxies.at("synflow"), 1.5e300);
  EXPECT_TRUE(std::isnan(back.proxies.at("snip")));
  EXPECT_EQ(back.proxies.at("meco"), 2.0);
  EXPECT_EQ(back.proxy_seconds.at("zen"), 0.25);
  const std::string csv = runs_to_csv({back});
  EXPECT_NE(csv.find(",finished_at,meco,snip,synflow,zen\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",2,,1.5000000000000001e+300,-inf\n"), std::string::npos) << csv;

  // A store written before the proxies table: read as it is, and given the table when written.
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "DROP TABLE proxies", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  EXPECT_TRUE(read_runs({db}).front().proxies.empty());
  {
    RunStore store(db);
    store.put_proxies("k1", {{"naswot", 3.0}}, {});
  }
  EXPECT_EQ(read_runs({db}).front().proxies.at("naswot"), 3.0);
}

TEST(ScoreRuns, ResumeScoresOnlyWhatIsMissingAndJobsDoNotChangeScores) {
  ScratchDir dir;
  const std::string a = dir.file("a.sqlite"), b = dir.file("b.sqlite");
  ScoreConfig config = nb201_config("synflow,zen");
  std::vector<ScoreRun> runs = plan_scores(config, nullptr);
  ASSERT_EQ(runs.size(), 4u);
  {
    RunStore store(a);
    EXPECT_EQ(run_scores(runs, config, nullptr, store, nullptr, nullptr), 4);
    EXPECT_EQ(run_scores(runs, config, nullptr, store, nullptr, nullptr), 0);  // all done
  }
  // A proxy more: the keys stay, only it is measured.
  ScoreConfig more = nb201_config("synflow,zen,naswot");
  const std::vector<ScoreRun> more_runs = plan_scores(more, nullptr);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(more_runs[i].key, runs[i].key);
  std::vector<int> measured;
  {
    RunStore store(a);
    run_scores(more_runs, more, nullptr, store, [&](const RunRecord&, int, int, int m) { measured.push_back(m); },
               nullptr);
  }
  EXPECT_EQ(measured, (std::vector<int>{1, 1, 1, 1}));
  // Two jobs: the same scores, to the bit.
  more.jobs = 2;
  {
    RunStore store(b);
    run_scores(more_runs, more, nullptr, store, nullptr, nullptr);
  }
  const auto ra = read_runs({a}), rb = read_runs({b});
  ASSERT_EQ(ra.size(), 4u);
  ASSERT_EQ(rb.size(), 4u);
  std::map<std::string, RunRecord> bk;
  for (const RunRecord& r : rb) bk[r.key] = r;
  for (const RunRecord& r : ra) {
    EXPECT_EQ(r.proxies.size(), 3u);
    EXPECT_EQ(r.proxies, bk.at(r.key).proxies) << r.cells;
    EXPECT_TRUE(std::isnan(r.test_acc));
    EXPECT_EQ(r.data, "none");
    EXPECT_TRUE(r.cells == std::string(kA) + " C2 N1" || r.cells == std::string(kB) + " C2 N1") << r.cells;
  }
}

TEST(ScoreRuns, ProxiesThatCannotApplyAreSkippedByAutoAndRefusedWhenNamed) {
  Spec mlp;
  mlp.family = Family::kMlp;
  mlp.input = {4};
  mlp.classes = 2;
  mlp.cells = {{4, 3, 2}};
  ProxyOptions o = parse_proxy_list("auto", "--proxies");
  EXPECT_EQ(proxies_for(mlp, o, false), (std::vector<std::string>{"synflow"}));
  EXPECT_EQ(proxies_for(mlp, o, true).size(), 8u);  // no zen or meco without conv maps
  EXPECT_EQ(proxies_for(tiny_nb201(kA), o, true).size(), 10u);
  o = parse_proxy_list("zen", "--proxies");
  EXPECT_THROW(proxies_for(mlp, o, true), SpecError);
  o = parse_proxy_list("snip", "--proxies");
  EXPECT_THROW(proxies_for(tiny_nb201(kA), o, false), SpecError);
  o.gaussian = true;
  EXPECT_NO_THROW(proxies_for(tiny_nb201(kA), o, false));
  EXPECT_THROW(parse_proxy_list("snip,nope", "--proxies"), SpecError);
  EXPECT_TRUE(parse_proxy_list("none", "--proxies").names.empty());
}


// A sweep re-run with proxies it did not measure fills them in for its finished runs, without
// training again, to the same values a sweep that measured them from the start stores.
TEST(SweepProxies, FinishedRunsGetMissingProxiesWithoutRetraining) {
  ScratchDir dir;
  const DataSplit data = test::tiny_circle(2);
  SweepConfig config;
  Spec s;
  s.family = Family::kMlp;
  s.input = {2};
  s.classes = 2;
  s.cells = {{4, 6, 3}};
  config.specs = {s};
  config.seeds = {0, 1};
  config.train.epochs = 1;
  config.train.batch_size = 40;
  config.ldi_samples = 0;
  config.proxies = parse_proxy_list("none", "--proxies");
  const auto runs = plan_sweep(config, data);
  const std::string late = dir.file("late.sqlite"), early = dir.file("early.sqlite");
  {
    RunStore store(late);
    EXPECT_EQ(run_sweep(runs, config, data, store, nullptr), 2);
  }
  const auto trained = read_runs({late});
  config.proxies = parse_proxy_list("synflow,snip,naswot", "--proxies");
  config.proxies.batch_size = 16;
  {
    RunStore store(late);
    EXPECT_EQ(run_sweep(runs, config, data, store, nullptr), 0);  // nothing trained
  }
  {
    RunStore store(early);
    run_sweep(runs, config, data, store, nullptr);
  }
  const auto filled = read_runs({late}), fresh = read_runs({early});
  ASSERT_EQ(filled.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(filled[i].finished_at, trained[i].finished_at);  // the row was not rewritten
    EXPECT_EQ(filled[i].test_acc, trained[i].test_acc);
    EXPECT_EQ(filled[i].proxies.size(), 3u);
    EXPECT_EQ(filled[i].proxies, fresh[i].proxies);
    EXPECT_EQ(fresh[i].test_acc, trained[i].test_acc);  // measuring proxies does not disturb training
  }
}

TEST(ReportProxies, EveryStoredProxyBecomesAPredictorRow) {
  std::vector<RunRecord> runs;
  for (int i = 0; i < 8; ++i) {
    RunRecord r;
    r.key = std::to_string(i);
    r.status = "ok";
    r.nn_mass = i;
    r.params = 100 - i;
    r.flops = i * i;
    r.ldi_mean = std::nan("");
    r.test_acc = 0.1 * i;
    r.proxies = {{"synflow", 2.0 * i}, {"zen", i == 7 ? -INFINITY : -1.0 * i}};
    if (i < 6) r.proxies["custom"] = i;
    runs.push_back(r);
  }
  const auto stats = predictor_stats(runs);
  std::vector<std::string> names;
  for (const auto& s : stats) names.push_back(s.predictor);
  EXPECT_EQ(names, (std::vector<std::string>{"NN-Mass", "#params", "FLOPs", "LDI mean σ", "synflow", "zen", "custom"}));
  EXPECT_NEAR(stats[4].c.spearman, 1.0, 1e-12);
  EXPECT_NEAR(stats[5].c.spearman, -1.0, 1e-12);  // -inf ranks lowest; Pearson is undefined
  EXPECT_TRUE(std::isnan(stats[5].c.pearson));
  EXPECT_EQ(stats[6].c.n, 6);
}

TEST(Truth, ReadsPercentOrFractionJoinsByArchitectureAndRefusesBadTables) {
  ScratchDir dir;
  const std::string ok = dir.file("t.csv");
  write(ok, "index,arch_str,test_accuracy\n0,\"|a~0|\",93.5\n1,|b~0|,10\n");
  TruthTable t = read_truth_csv(ok);
  EXPECT_EQ(t.key_column, "arch_str");
  EXPECT_EQ(t.acc_column, "test_accuracy");
  EXPECT_TRUE(t.percent);
  EXPECT_DOUBLE_EQ(t.acc.at("|a~0|"), 0.935);
  std::vector<RunRecord> runs(3);
  runs[0].cells = "|a~0|";
  runs[1].cells = "|b~0|";
  runs[2].cells = "|c~0|";
  EXPECT_EQ(join_truth(runs, t), 2u);
  EXPECT_DOUBLE_EQ(runs[1].test_acc, 0.1);
  EXPECT_TRUE(std::isnan(runs[2].test_acc));
  const auto refused = [&](const std::string& text, const std::string& key = "", const std::string& acc = "") {
    write(dir.file("bad.csv"), text);
    try {
      read_truth_csv(dir.file("bad.csv"), key, acc);
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("arch,acc\nx,0.5\nx,0.6\n").find("given twice"), std::string::npos);
  EXPECT_NE(refused("name,acc\nx,0.5\n").find("no architecture column"), std::string::npos);
  EXPECT_NE(refused("arch,acc\nx,high\n").find("row 2: column acc must be a non-negative number"), std::string::npos);
  EXPECT_NE(refused("arch,acc\nx,0.5,1\n").find("3 fields"), std::string::npos);
  EXPECT_NE(refused("arch,acc\n\"x,0.5\n").find("unclosed quote"), std::string::npos);
  EXPECT_NE(refused("arch,acc\nx,0.5\n", "", "top5").find("no column \"top5\""), std::string::npos);
  EXPECT_NE(refused("arch,acc\nx,150\n").find("above 100"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The command line, end to end.

struct Result {
  int code = -1;
  std::string out, err;
};

Result run_cli(const ScratchDir& dir, const std::string& args) {
  const std::string out = dir.file("stdout"), err = dir.file("stderr");
  const std::string command = std::string(NNMASS_BIN) + " " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_bytes(out), test::read_bytes(err)};
}

void expect_refused(const Result& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(CliScore, ScoresNb201CellsResumesAndReportsAgainstATruthTable) {
  ScratchDir dir;
  const std::string db = dir.file("nb.sqlite");
  const std::string cells = std::string(kA) + "," + kB + ",|none~0|+|skip_connect~0|none~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|";
  const std::string score = "score --nb201 '" + cells + "' --channels 2 --cells-per-stage 1 --input 3,8,8 "
                            "--proxies data-free --batch-size 4 --db '" + db + "' --csv '" + dir.file("s.csv") + "'";
  Result r = run_cli(dir, score);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("scored 3 runs now (0 already complete)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("synflow"), std::string::npos) << r.out;
  EXPECT_NE(test::read_bytes(dir.file("s.csv")).find(",meco,synflow,zen\n"), std::string::npos);
  r = run_cli(dir, score);
  EXPECT_NE(r.out.find("scored 0 runs now (3 already complete)"), std::string::npos) << r.out;
  r = run_cli(dir, score + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs"].size(), 3u);
  EXPECT_TRUE(j["runs"][0]["proxies"].contains("synflow"));

  // Without accuracies the report asks for them; a truth table keyed by arch string gives them.
  expect_refused(run_cli(dir, "report '" + db + "' --no-plots --out '" + dir.file("rep") + "'"), "--truth");
  EXPECT_FALSE(fs::exists(dir.file("rep/report.md")));
  write(dir.file("truth.csv"), "arch,test_acc\n\"" + std::string(kA) + " C2 N1\",94.1\n" + kB + " C2 N1,88.0\n"
                               "|none~0|+|skip_connect~0|none~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2| C2 N1,80.5\n");
  r = run_cli(dir, "report '" + db + "' --no-plots --out '" + dir.file("rep") + "' --truth '" + dir.file("truth.csv") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("3 of 3 runs matched"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("synflow"), std::string::npos) << r.out;
  EXPECT_NE(test::read_bytes(dir.file("rep/report.md")).find("Test accuracy: column test_acc (percent)"),
            std::string::npos);
  write(dir.file("other.csv"), "arch,test_acc\nx,0.5\n");
  expect_refused(run_cli(dir, "report '" + db + "' --no-plots --out '" + dir.file("rep2") + "' --truth '" +
                                  dir.file("other.csv") + "'"),
                 "no run's architecture");

  // Bad input: one line, exit 2, nothing written.
  const std::string bad = dir.file("bad.sqlite");
  expect_refused(run_cli(dir, "score --nb201 '" + std::string(kA) + "' --proxies snip --db '" + bad + "'"), "needs data");
  expect_refused(run_cli(dir, "score --nb201 '" + std::string(kA) + "' --proxies nope --db '" + bad + "'"), "--proxies");
  expect_refused(run_cli(dir, "score --nb201 'x' --db '" + bad + "'"), "--cell");
  expect_refused(run_cli(dir, "score --family mlp --depth 4 --width 4 --tc 1 --data circle --proxies zen --db '" + bad + "'"),
                 "convolutional feature maps");
  expect_refused(run_cli(dir, "score --nb201 all --family cnn --db '" + bad + "'"), "--nb201");
  EXPECT_FALSE(fs::exists(bad));
  r = run_cli(dir, "score --list-proxies");
  ASSERT_EQ(r.code, 0);
  for (const char* name : {"grad_norm", "snip", "grasp", "fisher", "jacob_cov", "naswot", "zico", "zen", "meco"})
    EXPECT_NE(r.out.find("\n" + std::string(name)), std::string::npos) << name;
  EXPECT_EQ(r.out.rfind("synflow  (data-free)\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("BatchNorm: removed"), std::string::npos);
}

TEST(CliScore, DataNeedingProxiesReadTheDataAndSweepsStoreProxies) {
  ScratchDir dir;
  const std::string db = dir.file("sweep.sqlite");
  Result r = run_cli(dir, "sweep --data circle --limit-train 200 --limit-test 40 --family mlp --width 4 --depth 4 "
                          "--tc 0,2 --epochs 1 --ldi-samples 8 --jobs 1 --proxy-batch 16 --db '" + db + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto runs = read_runs({db});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].proxies.size(), 8u);  // every proxy that applies to an MLP
  r = run_cli(dir, "report '" + db + "' --no-plots --out '" + dir.file("rep") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("naswot"), std::string::npos) << r.out;
  r = run_cli(dir, "score --family mlp --width 4 --depth 4 --tc 2 --data circle --limit-train 200 --proxies auto "
                   "--batch-size 16 --db '" + dir.file("s.sqlite") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_runs({dir.file("s.sqlite")}).front().proxies.size(), 8u);
  EXPECT_EQ(read_runs({dir.file("s.sqlite")}).front().data, "circle");
}

}  // namespace
}  // namespace nnmass

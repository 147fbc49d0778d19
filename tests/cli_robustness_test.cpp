// Robustness of the command line (issue: every bad input a clear error): each input that once
// crashed, hung or was silently misread now ends with one `error:` line naming the flag or field
// and what is allowed, exit status 2, within seconds, and nothing written. Also: exit codes and
// --json on every verb, grid files from the option table, and verbs that need no libtorch run
// without it.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scratch_dir.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

struct Result {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `bin args` inside `dir` (so relative outputs such as runs/ land there).
Result run_in(const ScratchDir& dir, const std::string& args, const std::string& bin = NNMASS_BIN) {
  const std::string out = dir.file(".stdout"), err = dir.file(".stderr");
  const std::string command = "cd '" + dir.path().string() + "' && timeout 60 " + bin + " " + args + " >'" + out +
                              "' 2>'" + err + "'";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(command.c_str());
  Result r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::string write(const ScratchDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

// Every file in the folder (the command's own inputs excepted).
std::vector<std::string> listing(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    names.push_back(fs::relative(e.path(), dir.path()).string());
  std::sort(names.begin(), names.end());
  return names;
}

// Bad input: exit 2 within seconds, nothing on stdout, one `error:` line holding `needle`, and
// no file or folder created.
void expect_refused(const ScratchDir& dir, const std::string& args, const std::string& needle) {
  const std::vector<std::string> before = listing(dir);
  const Result r = run_in(dir, args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << args << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\nexpected \"" << needle << "\" in " << r.err;
  EXPECT_LT(r.seconds, 10.0) << args;  // "within a second" plus libtorch's start-up on a busy machine
  EXPECT_EQ(listing(dir), before) << args << ": wrote something";
}

const std::string kTiny = "--family mlp --depth 4 --width 4 --tc 0";

// The issue's table, line by line.
TEST(CliRobustness, CrashesAndHangsOfTheIssueAreClearErrors) {
  ScratchDir dir;
  expect_refused(dir, "design --case mobilenet_v2 --pareto-rows 0", "--pareto-rows must be a whole number from 1");
  const int depth = 100000;
  write(dir, "deep.json", "{\"family\": \"mlp\", \"input\": " + std::string(depth, '[') + std::string(depth, ']') + "}");
  expect_refused(dir, "mass --spec deep.json", "nested deeper than");
  expect_refused(dir, "build --family mlp --depth 100000 --width 100000 --tc 0", "this machine has");
  expect_refused(dir, "design --case mlp --tcs 0-2147483647", "--tcs expands to more than");
  expect_refused(dir, "build --family mlp --depth 20 --width 100000 --tc 0", "needs about");
  expect_refused(dir, "build " + kTiny + " --seed -1", "--seed must be a whole number >= 0, got \"-1\"");
  expect_refused(dir, "sweep " + kTiny + " --seeds -1", "--seeds must be a whole number >= 0, got \"-1\"");
  expect_refused(dir, "sweep " + kTiny + " --shard 1/99999999999", "--shard N must be a whole number from 1 to");
  write(dir, "half.json", R"({"family": "mlp", "depth": 4, "width": 4, "tc": 0, "epochs": 0.5})");
  expect_refused(dir, "sweep --grid half.json", "half.json: epochs must be a whole number from 1 to 1000000, got \"0.5\"");
  write(dir, "huge.json", R"({"family": "mlp", "depth": 4, "width": 4, "tc": 0, "epochs": 1e20})");
  expect_refused(dir, "sweep --grid huge.json", "huge.json: epochs must be a whole number");
  expect_refused(dir, "design --case mlp --target nan", "--target must be a number from");
  expect_refused(dir, "design --case mlp --target -5", "--target must be a number from");
  write(dir, "twice.json", R"({"family": "mlp", "cells": [{"depth": 4, "width": 4, "tc": 0}], "family": "cnn"})");
  expect_refused(dir, "mass --spec twice.json", "key \"family\" given twice");
  expect_refused(dir, "design --case mlp --validate --seeds abc", "--seeds must be a whole number >= 0, got \"abc\"");
  write(dir, "runs.sqlite", "");
  expect_refused(dir, "report runs.sqlite --buckets 2000000000", "--buckets must be a whole number from 1 to 1000");
  fs::remove(dir.file("runs.sqlite"));
}

TEST(CliRobustness, EveryNumericFlagIsCheckedStrictly) {
  ScratchDir dir;
  expect_refused(dir, "mass " + kTiny + " --classes 0", "--classes must be a whole number from 1");
  expect_refused(dir, "mass --family mlp --depth 4 --width 4 --tc -1", "--tc must be a whole number >= 0");
  expect_refused(dir, "mass --family mlp --depth 4 --width 4 --tc 99999999999999999999", "--tc must be");
  expect_refused(dir, "mass --arch mobilenet_v2 --width-mult inf", "--width-mult must be a number from 0.01 to 64");
  expect_refused(dir, "train " + kTiny + " --epochs 0", "--epochs must be a whole number from 1");
  expect_refused(dir, "train " + kTiny + " --lr nan", "--lr must be a finite number >= 0");
  expect_refused(dir, "train " + kTiny + " --batch-size 1.5", "--batch-size must be a whole number");
  expect_refused(dir, "train " + kTiny + " --momentum 2", "--momentum must be a number from 0 to 1");
  expect_refused(dir, "train " + kTiny + " --optimizer adamw", "--optimizer must be one of adam, sgd");
  expect_refused(dir, "isometry " + kTiny + " --samples 0", "--samples must be a whole number >= 1");
  expect_refused(dir, "sweep " + kTiny + " --jobs -2", "--jobs must be a whole number from 0 to 1024");
  expect_refused(dir, "design --case mlp --tolerance -0.1", "--tolerance must be a number from 0 to 10");
  expect_refused(dir, "build " + kTiny + " --threads 99999", "--threads must be a whole number from 0 to 1024");
}

TEST(CliRobustness, FlagsThatDoNotApplyToTheFamilyAreErrors) {
  ScratchDir dir;
  expect_refused(dir, "mass --family mlp --depth 4 --width 4 --tc 0 --head reference", "--head applies to cnn, dwcnn, not to family mlp");
  expect_refused(dir, "mass --family cnn --depth 4 --width 4 --tc 0 --activation relu", "--activation applies to mlp");
  expect_refused(dir, "mass --arch resnet18 --width-mult 0.5", "--width-mult applies to mobilenet_v2");
  expect_refused(dir, "mass --family cnn --depth 4 --width 4 --tc 0 --stem cifar", "--stem applies to resnet, mobilenet_v2, not to family cnn");
  expect_refused(dir, "mass --arch resnet18 --depth 4", "--depth applies to mlp, cnn, dwcnn");
  expect_refused(dir, "design --case mlp --width-mults 0.5,1", "--width-mults applies to mobilenet_v2");
  expect_refused(dir, "design --case mlp --epochs 3", "--epochs applies only with --validate");
  expect_refused(dir, "isometry " + kTiny + " --seeds 1,2 --repeats 3", "--seeds lists the seeds itself");
  expect_refused(dir, "isometry " + kTiny + " --method exact", "--method applies to convolutional networks only");
  expect_refused(dir, "isometry --family cnn --depth 3 --width 4 --tc 1 --derivative reference",
                 "--derivative applies to mlp only");
  expect_refused(dir, "isometry --family cnn --depth 3 --width 4 --tc 1 --method svd",
                 "--method must be one of auto, exact, lanczos");
}

// design --validate --json: both models' per-seed accuracies and the Welch difference with its
// interval, consistent with each other (a quick run: the mlp case on the synthetic circle set).
TEST(CliRobustness, DesignValidateJsonHasTheDifferenceAndItsInterval) {
  ScratchDir dir;
  const Result r = run_in(dir, "design --case mlp --validate --json --data circle --epochs 1 --limit-train 400 "
                               "--limit-test 200 --seeds 0,1,2 --db v.sqlite --report v.md");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& v = j.contains("validation") ? j["validation"] : j;
  ASSERT_TRUE(v.contains("difference")) << r.out;
  ASSERT_EQ(v["reference_test_accs"].size(), 3u);
  ASSERT_EQ(v["design_test_accs"].size(), 3u);
  double ref = 0, des = 0;
  for (int i = 0; i < 3; ++i) ref += v["reference_test_accs"][i].get<double>() / 3, des += v["design_test_accs"][i].get<double>() / 3;
  const auto& d = v["difference"];
  EXPECT_NEAR(d["design_minus_reference"].get<double>(), des - ref, 1e-9);
  EXPECT_LE(d["ci95"][0].get<double>(), d["design_minus_reference"].get<double>());
  EXPECT_GE(d["ci95"][1].get<double>(), d["design_minus_reference"].get<double>());
  EXPECT_EQ(d["method"], "welch");
  EXPECT_TRUE(fs::exists(dir.file("v.md")));
}

// Convolutional LDI from the command line: a dense CNN and a ResNet on Fashion-MNIST images, each
// layer's method and error in the JSON; exact and Lanczos agree within the Lanczos error.
TEST(CliRobustness, IsometryMeasuresConvolutionalNetworks) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "Fashion-MNIST is not installed";
  ScratchDir dir;
  const std::string cnn = "isometry --family cnn --depth 3 --width 2:4:4 --tc 1:2:2 --head reference --samples 2 --json";
  const Result exact = run_in(dir, cnn + " --method exact");
  ASSERT_EQ(exact.code, 0) << exact.err;
  const Result lanczos = run_in(dir, cnn + " --method lanczos --probes 4");
  ASSERT_EQ(lanczos.code, 0) << lanczos.err;
  const auto e = nlohmann::json::parse(exact.out), l = nlohmann::json::parse(lanczos.out);
  EXPECT_EQ(e["samples"], 2);
  ASSERT_EQ(e["repeats"][0]["layers"].size(), 9u);
  EXPECT_EQ(e["repeats"][0]["layers"][0]["name"], "cell0.layer0");
  EXPECT_EQ(e["repeats"][0]["layers"][0]["error"]["method"], "exact");
  EXPECT_EQ(l["repeats"][0]["error"]["method"], "lanczos");
  EXPECT_TRUE(e["theory_gaussian_mean"].is_null());
  EXPECT_TRUE(e["derivative"].is_null());
  EXPECT_EQ(l["conv_options"]["probes"], 4);
  EXPECT_EQ(l["conv_options"]["method"], "lanczos");
  const double se = l["repeats"][0]["error"]["mean_se"], bound = l["repeats"][0]["error"]["mean_bound"];
  EXPECT_GT(se, 0);
  EXPECT_LE(std::abs(l["mean"].get<double>() - e["mean"].get<double>()), 4 * se + bound) << exact.out << lanczos.out;

  write(dir, "resnet.json", R"({"family": "resnet", "block": "basic", "layers": [1, 1], "planes": [4, 8], "stem": "cifar",
      "stem_width": 4, "input": [1, 28, 28], "classes": 10})");
  const Result resnet = run_in(dir, "isometry --spec resnet.json --samples 2 --per-layer");
  ASSERT_EQ(resnet.code, 0) << resnet.err;
  EXPECT_NE(resnet.out.find("layer2.0"), std::string::npos) << resnet.out;
  EXPECT_NE(resnet.out.find("estimate error"), std::string::npos) << resnet.out;
}

TEST(CliRobustness, OutputPathsAreCheckedBeforeAnyWork) {
  ScratchDir dir;
  write(dir, "file", "x");
  // A folder that cannot be made: its parent is a file.
  expect_refused(dir, "design --case mlp --validate --epochs 1 --report file/report.md", "--report: cannot create folder");
  expect_refused(dir, "sweep " + kTiny + " --db file/x.sqlite", "--db: cannot create folder file");
  expect_refused(dir, "train " + kTiny + " --out file/run", "--out: cannot create folder");
  expect_refused(dir, "build " + kTiny + " --save file/m.pt", "--save: cannot create folder");
  fs::remove(dir.file("file"));
  // A missing folder is created, and the report is written, also from a folder without runs/.
  const Result r = run_in(dir, "design --case mlp --save-spec new/best.json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir.file("new/best.json")));
}

TEST(CliRobustness, ReportRefusesADatabaseNnmassDidNotWrite) {
  ScratchDir dir;
  write(dir, "notes.sqlite", "plain text, not SQLite at all\n");
  const std::string before = slurp(dir.file("notes.sqlite"));
  expect_refused(dir, "report notes.sqlite --no-plots", "notes.sqlite");
  EXPECT_EQ(slurp(dir.file("notes.sqlite")), before);
}

TEST(CliRobustness, GridFilesTakeExactlyTheCommandLinesOptions) {
  ScratchDir dir;
  write(dir, "typo.json", R"({"family": "mlp", "depht": 4})");
  expect_refused(dir, "sweep --grid typo.json", "typo.json: unknown field \"depht\"");
  write(dir, "type.json", R"({"family": "mlp", "depth": 4, "width": 4, "tc": 0, "optimizer": 3})");
  expect_refused(dir, "sweep --grid type.json", "type.json: optimizer must be a string");
  write(dir, "flag.json", R"({"family": "mlp", "depth": 4, "width": 4, "tc": 0, "nesterov": "yes"})");
  expect_refused(dir, "sweep --grid flag.json", "flag.json: nesterov must be true or false");
  // Options the old grid reader lacked are accepted, with the same checks as their flags.
  write(dir, "full.json", R"({"family": "mlp", "depth": [4, 5], "width": 4, "tc": [0, 2], "input": "2", "classes": 2,
    "data": "circle", "limit_train": 40, "limit_test": 20, "optimizer": "sgd", "nesterov": true, "momentum": 0.5,
    "schedule": "step", "step_size": 1, "gamma": 0.5, "derivative": "reference",
    "repeats": 2, "epochs": 1, "ldi_samples": 5, "jobs": 1})");
  const Result r = run_in(dir, "sweep --grid full.json --dry-run --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto plan = nlohmann::json::parse(r.out);
  EXPECT_EQ(plan["runs"].size(), 8u);  // 2 depths x 2 t_c x 2 seeds
  EXPECT_EQ(plan["recipe"]["optimizer"], "sgd");
  EXPECT_EQ(plan["recipe"]["nesterov"], true);
  EXPECT_EQ(plan["recipe"]["gamma"], 0.5);
  // A flag given on the command line wins over the file.
  const Result r2 = run_in(dir, "sweep --grid full.json --dry-run --json --gamma 0.25");
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(nlohmann::json::parse(r2.out)["recipe"]["gamma"], 0.25);
  EXPECT_FALSE(fs::exists(dir.file("runs"))) << "--dry-run wrote something";
  // Options of another optimizer, schedule or data set are refused, from a file as on the line.
  write(dir, "crop.json", R"({"family": "mlp", "depth": 4, "width": 4, "tc": 0, "data": "circle", "no_augment": true})");
  expect_refused(dir, "sweep --grid crop.json --dry-run --input 2 --classes 2", "--no-augment applies to CIFAR-like data");
  expect_refused(dir, "sweep " + kTiny + " --data circle --input 2 --classes 2 --dry-run --momentum 0.5",
                 "--momentum applies to --optimizer sgd, not adam");
  expect_refused(dir, "sweep " + kTiny + " --data circle --input 2 --classes 2 --dry-run --gamma 0.5",
                 "--gamma applies to --schedule step, not constant");
}

// Every grid of examples/ plans on the data it was written for (Fashion-MNIST, the default).
TEST(CliRobustness, EveryExampleGridLoads) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "Fashion-MNIST is not installed";
  ScratchDir dir;
  int grids = 0;
  for (const auto& e : fs::directory_iterator(NNMASS_SOURCE_DIR "/examples")) {
    if (e.path().extension() != ".json") continue;
    ++grids;
    const Result r = run_in(dir, "sweep --grid '" + e.path().string() + "' --dry-run --json --limit-train 40 --limit-test 20");
    ASSERT_EQ(r.code, 0) << e.path() << ": " << r.err;
    EXPECT_GT(nlohmann::json::parse(r.out)["runs"].size(), 0u) << e.path();
  }
  EXPECT_GE(grids, 5);
}

// A grid's "models" lists spec objects (any family); fields a model omits come from the data.
TEST(CliRobustness, GridModelsListSpecObjects) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "Fashion-MNIST is not installed";
  ScratchDir dir;
  write(dir, "models.json", R"({"models": [
      {"family": "resnet", "block": "basic", "layers": [1, 1], "planes": [4, 8], "stem": "cifar", "stem_width": 4},
      {"family": "mobilenet_v2", "width_mult": 0.25, "repeats": [1, 1, 0, 0, 0, 0, 0], "stem": "cifar"},
      {"family": "cnn", "cells": [{"depth": 3, "width": 4, "tc": 2}], "input": [1, 28, 28], "classes": 10}],
    "seeds": [0, 1], "epochs": 1})");
  const Result r = run_in(dir, "sweep --grid models.json --dry-run --json --limit-train 40 --limit-test 20");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  ASSERT_EQ(plan["runs"].size(), 6u);
  std::set<std::string> families;
  for (const auto& run : plan["runs"]) {
    families.insert(run["spec"]["family"].get<std::string>());
    EXPECT_EQ(run["spec"]["input"], nlohmann::json({1, 28, 28}));  // Fashion-MNIST's, adopted
    EXPECT_EQ(run["spec"]["classes"], 10);
  }
  EXPECT_EQ(families, (std::set<std::string>{"resnet", "mobilenet_v2", "cnn"}));

  write(dir, "empty.json", R"({"models": []})");
  expect_refused(dir, "sweep --grid empty.json --dry-run", "empty.json: models must be an array of 1 to");
  write(dir, "bad.json", R"({"models": [{"family": "resnet", "layers": [1]}]})");
  expect_refused(dir, "sweep --grid bad.json --dry-run", "bad.json: models[0]: missing field block");
  write(dir, "typo.json", R"({"modles": []})");
  expect_refused(dir, "sweep --grid typo.json --dry-run", "unknown field \"modles\" (fields: ");
  expect_refused(dir, "sweep --grid models.json --dry-run --family cnn",
                 "\"models\" cannot be combined with --family");
}

// nnmass export: its flags are checked before anything is built or written.
TEST(CliRobustness, ExportChecksItsFlagsFirst) {
  ScratchDir dir;
  const std::string mlp = "export --family mlp --depth 4 --width 4 --tc 2 --input 3 --classes 2";
  expect_refused(dir, mlp, "--out is required");
  expect_refused(dir, mlp + " --out m.pt --mode test", "--mode must be eval or train, got \"test\"");
  fs::create_directory(dir.path() / "folder");
  expect_refused(dir, mlp + " --out folder", "--out: folder is a folder, not a file");
  expect_refused(dir, mlp + " --out m.pt --batch-size 1", "--batch-size");
  expect_refused(dir, "export --arch resnet18 --links l.json --out m.pt", "--links applies to mlp, cnn, dwcnn");
  ASSERT_EQ(run_in(dir, mlp + " --out m.pt").code, 0);
  expect_refused(dir, "export --load m.pt --width 5 --out n.pt", "--load takes the architecture from the model file");
  expect_refused(dir, "export --load missing.pt --out n.pt", "missing.pt");
  EXPECT_FALSE(fs::exists(dir.path() / "n.pt"));
}

// Exit codes: 0 ok, 1 internal, 2 bad input, 3 diverged; every verb's --help starts with what it
// does and --json gives one JSON document on stdout.
TEST(CliRobustness, EveryVerbHasHelpJsonAndExitCodes) {
  ScratchDir dir;
  for (const char* verb : {"mass", "build", "train", "isometry", "sweep", "report", "design", "score", "export"}) {
    const Result help = run_in(dir, std::string(verb) + " --help");
    EXPECT_EQ(help.code, 0) << verb;
    EXPECT_NE(help.out.find("--json"), std::string::npos) << verb << " has no --json";
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(help.out[0]))) << verb << ": " << help.out.substr(0, 80);
    EXPECT_EQ(help.out.rfind("Usage", 0), std::string::npos) << verb << ": --help must start with what it does";
    const Result bad = run_in(dir, std::string(verb) + " --no-such-flag");
    EXPECT_EQ(bad.code, 2) << verb;
  }
  const std::string data = " --data circle --input 2 --classes 2 --limit-train 40 --limit-test 20 --epochs 1";
  const std::string grid = "--family mlp --depth 4 --width 4 --tc 0";
  for (const std::string& args : std::vector<std::string>{"mass " + grid, "build " + grid + " --input 2 --classes 2",
                                  "train " + grid + data, "isometry " + grid + " --data circle --input 2 --classes 2 --samples 10",
                                  "sweep " + grid + data + " --ldi-samples 0 --db s.sqlite --jobs 1",
                                  "report s.sqlite --no-plots --out rep", "design --case mlp",
                                  "export " + grid + " --input 2 --classes 2 --out m.pt"}) {
    const Result r = run_in(dir, args + " --json");
    ASSERT_EQ(r.code, 0) << args << ": " << r.err;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << args << ": " << r.out.substr(0, 200);
  }
  // Exit 3: training that diverges.
  const Result diverged = run_in(dir, "train " + grid + " --data circle --input 2 --classes 2 --limit-train 40 "
                                       "--limit-test 20 --epochs 3 --batch-size 10 --lr 1e30");
  EXPECT_EQ(diverged.code, 3) << diverged.err;
}

// mass, report, design (without --validate) and --version work without libtorch: the executable
// alone, copied away from its torch plugin, still runs them; the verbs that need torch say so.
TEST(CliRobustness, TorchFreeVerbsRunWithoutLibtorch) {
  ScratchDir dir;
  fs::copy_file(NNMASS_BIN, dir.file("nnmass-alone"));
  fs::permissions(dir.file("nnmass-alone"), fs::perms::owner_all);
  const std::string alone = dir.file("nnmass-alone");
  EXPECT_EQ(run_in(dir, "--version", alone).code, 0);
  EXPECT_EQ(run_in(dir, "mass --family mlp --depth 20 --width 8 --tc 7 --json", alone).code, 0);
  EXPECT_EQ(run_in(dir, "design --case mobilenet_v2 --json", alone).code, 0);
  const Result r = run_in(dir, "build --family mlp --depth 20 --width 8 --tc 7", alone);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot load the verbs that use libtorch"), std::string::npos) << r.err;
  // And the executable itself does not link libtorch.
  const Result ldd = run_in(dir, NNMASS_BIN, "ldd");
  EXPECT_EQ(ldd.out.find("libtorch"), std::string::npos) << ldd.out;
  EXPECT_EQ(ldd.out.find("libc10"), std::string::npos) << ldd.out;
}

}  // namespace
}  // namespace nnmass

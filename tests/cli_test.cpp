// CLI tests: run the real `nnmass` binary with small inputs and check its output, its JSON and
// its exit codes (0 on success, 2 with one `error:` line on bad input).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

// A per-process path: ctest runs the tests of this file in parallel processes.
std::string temp_path(const std::string& name) {
  return std::string(::testing::TempDir()) + "nnmass_cli_" + std::to_string(::getpid()) + "_" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result run(const std::string& args) {
  const std::string out = temp_path("stdout"), err = temp_path("stderr");
  const std::string command = std::string(NNMASS_BIN) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(command.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

// Bad input: exit 2, nothing on stdout, exactly one line on stderr that contains `needle`.
void expect_bad_input(const std::string& args, const std::string& needle) {
  const Result r = run(args);
  EXPECT_EQ(r.code, 2) << args;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected \"" << needle << "\" in " << r.err;
}

const char* kMlp100 = "mass --family mlp --width 8 --depth 20 --tc 100 --input 784 --classes 10";

TEST(CliMass, PrintsTheWorkedMlpValues) {
  const Result r = run(kMlp100);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("NN-Mass     143.158"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NN-Density  0.89474"), std::string::npos) << r.out;  // 1224 / 1368
  // 784*8+8 + (8*8+8) + sum_{k=2}^{18} ((8+t_k)*8+8) + (8+100)*10+10
  EXPECT_NE(r.out.find("params      17,658"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FLOPs       35,154"), std::string::npos) << r.out;
}

TEST(CliMass, JsonMatchesTheTable) {
  const Result r = run(std::string(kMlp100) + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["nn_mass"].get<double>(), 143.158, 5e-4);
  EXPECT_NEAR(j["average_density"].get<double>(), 1224.0 / 1368.0, 1e-12);
  EXPECT_EQ(j["params"], 17658);
  EXPECT_EQ(j["flops"], 35154);
  EXPECT_EQ(j["macs"], (35154 - 8 * 19 - 10) / 2);
  EXPECT_EQ(j["spec"]["cells"][0]["tc"], 100);
  ASSERT_EQ(j["terms"].size(), 1u);
  EXPECT_EQ(j["terms"][0]["links"], 1224);
}

TEST(CliMass, GridGivesOneModelPerCombination) {
  const Result r = run("mass --family mlp --width 8 --depth 16,20 --tc 0,4,8 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 6u);
  EXPECT_EQ(j[0]["spec"]["cells"][0]["depth"], 16);
  EXPECT_EQ(j[2]["spec"]["cells"][0]["tc"], 8);
  EXPECT_EQ(j[3]["spec"]["cells"][0]["depth"], 20);
  EXPECT_DOUBLE_EQ(j[0]["nn_mass"].get<double>(), 0.0);  // t_c = 0: no links
}

TEST(CliMass, ColonSeparatesCells) {
  const Result r = run(
      "mass --family dwcnn --depth 13 --width 32:64:128 --tc 40:80:125 --head reference --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["nn_mass"].get<double>(), 526.106, 5e-4);
  EXPECT_EQ(j["params"], 867656);
  EXPECT_EQ(j["spec"]["cells"].size(), 3u);
}

TEST(CliMass, SpecFileRoundTripsThroughJsonOutput) {
  const Result first = run("mass --arch resnext50_32x4d --json");
  ASSERT_EQ(first.code, 0) << first.err;
  const auto j = nlohmann::json::parse(first.out);
  const std::string path = write_temp("resnext.json", j["spec"].dump());
  const Result second = run("mass --spec " + path + " --json");
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out), j);
}

TEST(CliMass, ExamplesAndStandardArchitectures) {
  Result r = run("mass --example cifar_dwcnn");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("NN-Mass     526.106"), std::string::npos);
  EXPECT_NE(r.out.find("params      867,656"), std::string::npos);
  r = run("mass --arch resnet18");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("NN-Mass     3392.000"), std::string::npos);
  EXPECT_NE(r.out.find("params      11,689,512"), std::string::npos);
  r = run("mass --arch mobilenet_v2 --width-mult 1.1 --block-repeats 2,3,4,5,4,3,1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("NN-Mass     1797.000"), std::string::npos);
}

TEST(CliMass, HelpSaysWhatIsCounted) {
  const Result r = run("mass --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("2*MACs + bias additions"), std::string::npos);
  EXPECT_NE(r.out.find("--tc"), std::string::npos);
}

TEST(CliMassErrors, BadSpecFiles) {
  const std::string cell = R"("input":[784],"classes":10,"family":"mlp")";
  expect_bad_input("mass --spec " + write_temp("d2.json", "{" + cell + R"(,"cells":[{"depth":2,"width":8,"tc":1}]})"),
                   "cells[0].depth must be at least 3");
  expect_bad_input("mass --spec " + write_temp("w0.json", "{" + cell + R"(,"cells":[{"depth":5,"width":0,"tc":1}]})"),
                   "cells[0].width must be positive");
  expect_bad_input("mass --spec " + write_temp("tneg.json", "{" + cell + R"(,"cells":[{"depth":5,"width":8,"tc":-3}]})"),
                   "cells[0].tc must be zero or positive, got -3");
  expect_bad_input("mass --spec " + write_temp("type.json", "{" + cell + R"(,"cells":[{"depth":"5","width":8,"tc":1}]})"),
                   "cells[0].depth must be an integer, got a string");
  expect_bad_input("mass --spec " + write_temp("missing.json", "{" + cell + R"(,"cells":[{"depth":5,"tc":1}]})"),
                   "missing field cells[0].width");
  expect_bad_input("mass --spec " + write_temp("fam.json", R"({"family":"densenet"})"),
                   "family must be one of mlp, cnn, dwcnn, resnet, mobilenet_v2");
  expect_bad_input("mass --spec " + write_temp("trunc.json", R"({"family":"mlp","cells":[)"),
                   "malformed JSON");
  expect_bad_input("mass --spec " + write_temp("array.json", "[1,2]"), "spec must be a JSON object");
  expect_bad_input("mass --spec " + write_temp("unknown.json", "{" + cell + R"(,"cells":[],"depht":3})"),
                   "unknown field depht");
}

TEST(CliMassErrors, BadFlags) {
  expect_bad_input("mass --family mlp --width 8 --depth 20", "--tc is required");
  expect_bad_input("mass --family mlp --width 8 --depth 2 --tc 1", "--depth must be a whole number from 3 to 100000, got \"2\"");
  expect_bad_input("mass --family mlp --width 8 --depth 20x --tc 1", "--depth must be a whole number from 3 to 100000, got \"20x\"");
  expect_bad_input("mass --family mlp --width 8:8 --depth 5:5:5 --tc 1", "--width lists 2 cells");
  expect_bad_input("mass --family cnn --width 8 --depth 5 --tc 1 --input 3,32", "input must be [channels, height, width]");
  expect_bad_input("mass --arch resnet19", "arch must be one of");
  expect_bad_input("mass", "no architecture given");
  expect_bad_input("mass --spec /nonexistent/spec.json", "nonexistent");
  expect_bad_input("mass --arch mobilenet_v2 --block-repeats 1,2,3", "repeats must list 7 stages");
}

}  // namespace

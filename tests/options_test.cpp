// The option table and its strict number parsers (core/options), the memory preflight
// (core/memory) and the cost's activation count it rests on.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/memory.h"
#include "nnmass/options.h"

namespace nnmass {
namespace {

// The message of the SpecError `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(StrictNumbers, IntegersAreWholeAndInRange) {
  EXPECT_EQ(parse_int("42", "--x", 0, 100), 42);
  EXPECT_EQ(parse_int("-3", "--x", -5, 5), -3);
  EXPECT_EQ(error_of([] { parse_int("-1", "--seed", 0, kSeedMax); }), "--seed must be a whole number >= 0, got \"-1\"");
  EXPECT_EQ(error_of([] { parse_int("9007199254740993", "--seed", 0, kSeedMax); }),
            "--seed must be at most 9007199254740992, got \"9007199254740993\"");
  EXPECT_EQ(error_of([] { parse_int("99999999999999999999", "--seed", 0, kSeedMax); }),
            "--seed must be at most 9007199254740992, got \"99999999999999999999\"");
  EXPECT_EQ(error_of([] { parse_int("0.5", "g.json: epochs", 1, 100); }),
            "g.json: epochs must be a whole number from 1 to 100, got \"0.5\"");
  for (const char* bad : {"", " 4", "4 ", "4x", "1e3", "0x10", "99999999999999999999", "+"})
    EXPECT_NE(error_of([&] { parse_int(bad, "--x", 0, kIntMax); }), "") << bad;
  EXPECT_NE(error_of([] { parse_int("101", "--x", 0, 100); }), "");
}

TEST(StrictNumbers, RealsAreFiniteAndInRange) {
  EXPECT_DOUBLE_EQ(parse_real("1e-3", "--lr", 0, 1), 1e-3);
  for (const char* bad : {"nan", "inf", "-inf", "1e999", "", "0.1.2", "-5"})
    EXPECT_NE(error_of([&] { parse_real(bad, "--target", 1e-9, 1e15); }), "") << bad;
  EXPECT_EQ(error_of([] { parse_real("nan", "--lr", 0, std::numeric_limits<double>::infinity()); }),
            "--lr must be a finite number >= 0, got \"nan\"");
}

TEST(StrictNumbers, RangesAreCountedBeforeTheyAreExpanded) {
  EXPECT_EQ(parse_int_ranges("8-16:4,3", "--d", 0, 100), (std::vector<int64_t>{8, 12, 16, 3}));
  EXPECT_EQ(parse_int_ranges("5-5", "--d", 0, 100), (std::vector<int64_t>{5}));
  // The loop that once overflowed: refused at once, before any value is produced.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(error_of([] { parse_int_ranges("0-2147483647", "--tcs", 0, kIntMax); }).find("expands to more than"),
            std::string::npos);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
  // The last step may end past b without overflowing.
  EXPECT_EQ(parse_int_ranges("2147483640-2147483647:5", "--tcs", 0, kIntMax),
            (std::vector<int64_t>{2147483640, 2147483645}));
  EXPECT_NE(error_of([] { parse_int_ranges("9-3", "--d", 0, 100); }).find("runs backwards"), std::string::npos);
  EXPECT_NE(error_of([] { parse_int_ranges("1-5:0", "--d", 0, 100); }).find("step"), std::string::npos);
  EXPECT_NE(error_of([] { parse_int_ranges("-3", "--d", 0, 100); }), "");
}

struct Settings {
  int epochs = 5;
  double lr = 1e-3;
  std::string optimizer = "adam", depth = "8";
  bool nesterov = false;
  uint64_t seed = 0;
};

OptionTable table_for(Settings* s) {
  OptionTable t;
  t.add("epochs", &s->epochs, 1, 1000, "Epochs");
  t.add("lr", &s->lr, 0, 10, "Learning rate");
  t.add("optimizer", &s->optimizer, "Optimizer", {"adam", "sgd"});
  t.add_list("depth", &s->depth, "Depths");
  t.add_flag("nesterov", &s->nesterov, "Nesterov");
  t.add("seed", &s->seed, 0, kSeedMax, "Seed").in_grid = false;
  return t;
}

TEST(OptionTable, JsonIsCheckedLikeTheFlags) {
  Settings s;
  const OptionTable t = table_for(&s);
  t.apply_json(nlohmann::json::parse(R"({"epochs": 7, "lr": 0.5, "optimizer": "sgd", "depth": [4, 5],
                                        "nesterov": true, "comment": "ignored"})"), "g.json");
  EXPECT_EQ(s.epochs, 7);
  EXPECT_DOUBLE_EQ(s.lr, 0.5);
  EXPECT_EQ(s.optimizer, "sgd");
  EXPECT_EQ(s.depth, "4,5");
  EXPECT_TRUE(s.nesterov);
  EXPECT_TRUE(t.given("epochs") && t.given("batch_size") == false);
  const auto refused = [&](const char* text) {
    Settings x;
    const OptionTable u = table_for(&x);
    return error_of([&] { u.apply_json(nlohmann::json::parse(text), "g.json"); });
  };
  EXPECT_EQ(refused(R"({"epochs": 0.5})"), "g.json: epochs must be a whole number from 1 to 1000, got \"0.5\"");
  EXPECT_EQ(refused(R"({"epochs": "5"})").rfind("g.json: epochs must be a number", 0), 0u);
  EXPECT_EQ(refused(R"({"optimizer": "adamw"})"), "g.json: optimizer must be one of adam, sgd, got \"adamw\"");
  EXPECT_EQ(refused(R"({"nesterov": 1})").rfind("g.json: nesterov must be true or false", 0), 0u);
  EXPECT_EQ(refused(R"({"depth": [[4]]})").rfind("g.json: depth must be a flat array", 0), 0u);
  EXPECT_EQ(refused(R"({"seed": 3})").rfind("g.json: unknown field \"seed\"", 0), 0u);  // not a grid option
  EXPECT_EQ(refused(R"({"batch-size": 3})").rfind("g.json: unknown field \"batch-size\"", 0), 0u);
  EXPECT_EQ(refused(R"([1, 2])").rfind("g.json: a grid file is a JSON object", 0), 0u);
}

TEST(OptionTable, TheCommandLineWinsOverTheFile) {
  Settings s;
  const OptionTable t = table_for(&s);
  t.find("epochs")->set("9", "--epochs");  // as the command line does
  t.apply_json(nlohmann::json::parse(R"({"epochs": 3, "lr": 0.25})"), "g.json");
  EXPECT_EQ(s.epochs, 9);
  EXPECT_DOUBLE_EQ(s.lr, 0.25);
}

TEST(Memory, ActivationsAreTheLayerOutputs) {
  Spec mlp;  // 784 -> 8 x 19 hidden layers -> 10 classes: one output row per layer
  mlp.cells = {{20, 8, 7}};
  EXPECT_EQ(count_cost(mlp).activations, 19 * 8 + 10);
  Spec cnn;
  cnn.family = Family::kCnn;
  cnn.input = {3, 8, 8};
  cnn.cells = {{4, 2, 1}, {4, 3, 1}};  // 4 convs of 2 ch on 8x8, 4 of 3 ch on 4x4, then the classifier
  EXPECT_EQ(count_cost(cnn).activations, 4 * 2 * 64 + 4 * 3 * 16 + 10);
}

TEST(Memory, EstimatesGrowWithTheWorkAndRefuseClearly) {
  Spec s;
  s.cells = {{20, 8, 7}};
  EXPECT_LT(forward_bytes(s, 1), forward_bytes(s, 1000));
  EXPECT_LT(forward_bytes(s, 100), training_bytes(s, 100));
  EXPECT_NO_THROW(check_memory(training_bytes(s, 100), "training"));
  Spec huge;
  huge.cells = {{100000, 100000, 0}};
  try {
    check_memory(forward_bytes(huge, 2), "building this network");
    if (available_memory_bytes() >= 0) ADD_FAILURE() << "a 10^15-parameter network was not refused";
  } catch (const ResourceError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("building this network needs about ", 0), 0u) << m;
    EXPECT_NE(m.find(" GiB, this machine has "), std::string::npos) << m;
    EXPECT_NE(m.find(" GiB available"), std::string::npos) << m;
  }
  EXPECT_EQ(gib_text(int64_t{3} << 29), "1.5 GiB");
}

TEST(Links, HugePoolsAreDrawnInMemoryOfTheLinks) {
  Spec s;
  s.cells = {{100000, 100000, 0}};  // pools of up to 10^10 channels, no links
  const auto start = std::chrono::steady_clock::now();
  const Links none = draw_links(s, 1);
  EXPECT_EQ(none.cells[0].layers.back().size(), 0u);
  s.cells = {{50, 100000, 3}};  // three links out of millions of channels each
  const Links few = draw_links(s, 1);
  EXPECT_EQ(few.cells[0].layers[49].size(), 3u);
  EXPECT_NO_THROW(check_links(s, few));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

}  // namespace
}  // namespace nnmass

// Architecture specs: validation, standard layouts, enum names, and the strict JSON form
// (spec.h, spec_json.h). Every error must be the right type (SpecError for a bad spec, IoError
// for an unreadable or malformed file), one line, and name the field at fault.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnmass/error.h"
#include "nnmass/file_io.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"
#include "nnmass/spec_json.h"

using namespace nnmass;
using nlohmann::json;

namespace {

// Runs `f`, expects exactly exception type E (SpecError or IoError) with a one-line message
// containing every needle.
template <typename E, typename F>
void expect_error(F f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "nothing thrown; expected an error mentioning \"" << *needles.begin()
                  << "\"";
  } catch (const E& e) {
    const std::string m = e.what();
    for (const std::string& n : needles)
      EXPECT_NE(m.find(n), std::string::npos) << "message \"" << m << "\" lacks \"" << n << "\"";
    EXPECT_EQ(m.find('\n'), std::string::npos) << "message is not one line: " << m;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type, message: " << e.what();
  }
}

template <typename F>
void expect_spec_error(F f, std::initializer_list<std::string> needles) {
  expect_error<SpecError>(f, needles);
}

void expect_same_spec(const Spec& a, const Spec& b) {
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.activation, b.activation);
  EXPECT_EQ(a.link_pool, b.link_pool);
  if (is_dense(a.family)) {
    ASSERT_EQ(a.cells.size(), b.cells.size());
    for (size_t c = 0; c < a.cells.size(); ++c) {
      EXPECT_EQ(a.cells[c].depth, b.cells[c].depth) << c;
      EXPECT_EQ(a.cells[c].width, b.cells[c].width) << c;
      EXPECT_EQ(a.cells[c].tc, b.cells[c].tc) << c;
    }
    if (a.family != Family::kMlp) {
      EXPECT_EQ(a.head, b.head);
    }
  } else if (a.family == Family::kResNet) {
    EXPECT_EQ(a.resnet.block, b.resnet.block);
    EXPECT_EQ(a.resnet.layers, b.resnet.layers);
    EXPECT_EQ(a.resnet.planes, b.resnet.planes);
    EXPECT_EQ(a.resnet.stem, b.resnet.stem);
    EXPECT_EQ(a.resnet.stem_width, b.resnet.stem_width);
    EXPECT_EQ(a.resnet.groups, b.resnet.groups);
    EXPECT_EQ(a.resnet.width_per_group, b.resnet.width_per_group);
  } else {
    EXPECT_EQ(a.mobilenet.width_mult, b.mobilenet.width_mult);  // exact: JSON keeps 17 digits
    EXPECT_EQ(a.mobilenet.repeats, b.mobilenet.repeats);
    EXPECT_EQ(a.mobilenet.stem, b.mobilenet.stem);
  }
}

// A valid minimal MLP spec in JSON; tests mutate it.
json mlp_json() {
  return json::parse(R"({"family": "mlp", "input": [784], "classes": 10,
                         "cells": [{"depth": 8, "width": 8, "tc": 10}]})");
}
json cnn_json() {
  return json::parse(R"({"family": "cnn", "input": [3, 32, 32], "classes": 10,
                         "cells": [{"depth": 4, "width": 8, "tc": 2},
                                   {"depth": 4, "width": 16, "tc": 2},
                                   {"depth": 4, "width": 32, "tc": 2}],
                         "head": "reference"})");
}
json resnet_json() {
  return json::parse(R"({"family": "resnet", "input": [3, 224, 224], "classes": 1000,
                         "block": "basic", "layers": [2, 2, 2, 2]})");
}

// Specs covering every family and every non-default option.
std::vector<Spec> sample_specs() {
  std::vector<Spec> out;
  Spec mlp;
  mlp.family = Family::kMlp;
  mlp.name = "mlp-relu";
  mlp.input = {1, 28, 28};
  mlp.classes = 10;
  mlp.activation = Activation::kRelu;
  mlp.link_pool = LinkPool::kReference;
  mlp.cells = {Cell{8, 8, 10}, Cell{3, 2, 0}};
  out.push_back(mlp);

  Spec mlp2;
  mlp2.family = Family::kMlp;
  mlp2.input = {2};
  mlp2.classes = 2;
  mlp2.cells = {Cell{20, 8, 7}};
  out.push_back(mlp2);

  Spec cnn;
  cnn.family = Family::kCnn;
  cnn.input = {3, 32, 32};
  cnn.classes = 100;
  cnn.head = Head::kReference;
  cnn.cells = {Cell{13, 32, 40}, Cell{13, 64, 80}, Cell{13, 128, 125}};
  out.push_back(cnn);

  Spec dw = cnn;
  dw.family = Family::kDepthwiseCnn;
  dw.name = "dense_depth";
  dw.head = Head::kGap;
  dw.link_pool = LinkPool::kReference;
  dw.input = {1, 7, 5};
  out.push_back(dw);

  Spec res;
  res.family = Family::kResNet;
  res.name = "custom";
  res.input = {3, 32, 32};
  res.classes = 10;
  res.resnet.block = Block::kBottleneck;
  res.resnet.layers = {1, 2};
  res.resnet.planes = {32, 64};
  res.resnet.stem = Stem::kCifar;
  res.resnet.stem_width = 16;
  res.resnet.groups = 2;
  res.resnet.width_per_group = 32;
  out.push_back(res);

  Spec mob;
  mob.family = Family::kMobileNetV2;
  mob.input = {3, 160, 160};
  mob.classes = 1000;
  mob.mobilenet.width_mult = 1.1;
  mob.mobilenet.repeats = {2, 3, 4, 5, 4, 3, 1};
  out.push_back(mob);
  mob.input = {1, 28, 28};
  mob.mobilenet.stem = Stem::kCifar;
  out.push_back(mob);

  for (const std::string& name : standard_arch_names()) out.push_back(standard_spec(name));
  return out;
}

std::string temp_path(const std::string& stem) {
  return (testing::TempDir().empty() ? std::string("/tmp/") : testing::TempDir()) + "nnmass_" +
         stem + "_" + std::to_string(::getpid()) + ".json";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Enums and standard layouts

TEST(SpecTest, EnumNamesRoundTrip) {
  for (Family f : {Family::kMlp, Family::kCnn, Family::kDepthwiseCnn, Family::kResNet,
                   Family::kMobileNetV2})
    EXPECT_EQ(parse_family(to_string(f)), f);
  EXPECT_EQ(to_string(Family::kMlp), "mlp");
  EXPECT_EQ(to_string(Family::kCnn), "cnn");
  EXPECT_EQ(to_string(Family::kDepthwiseCnn), "dwcnn");
  EXPECT_EQ(to_string(Family::kResNet), "resnet");
  EXPECT_EQ(to_string(Family::kMobileNetV2), "mobilenet_v2");
  for (Activation a : {Activation::kElu, Activation::kRelu})
    EXPECT_EQ(parse_activation(to_string(a)), a);
  for (Head h : {Head::kGap, Head::kReference}) EXPECT_EQ(parse_head(to_string(h)), h);
  for (LinkPool p : {LinkPool::kPaper, LinkPool::kReference})
    EXPECT_EQ(parse_link_pool(to_string(p)), p);
  for (Block b : {Block::kBasic, Block::kBottleneck}) EXPECT_EQ(parse_block(to_string(b)), b);
  for (Stem s : {Stem::kImageNet, Stem::kCifar}) EXPECT_EQ(parse_stem(to_string(s)), s);
}

TEST(SpecTest, EnumParseErrorsNameTheField) {
  expect_spec_error([] { parse_family("transformer"); },
                    {"family", "mlp", "cnn", "dwcnn", "resnet", "mobilenet_v2", "\"transformer\""});
  expect_spec_error([] { parse_family("MLP", "cli --family"); }, {"cli --family", "\"MLP\""});
  expect_spec_error([] { parse_activation("tanh"); }, {"activation", "elu", "relu", "tanh"});
  expect_spec_error([] { parse_head("fc"); }, {"head", "gap", "reference"});
  expect_spec_error([] { parse_link_pool("random", "pool"); }, {"pool", "paper", "reference"});
  expect_spec_error([] { parse_block("triple"); }, {"block", "basic", "bottleneck"});
  expect_spec_error([] { parse_stem("tiny"); }, {"stem", "imagenet", "cifar"});
}

TEST(SpecTest, StandardSpecs) {
  const std::vector<std::string> names = standard_arch_names();
  // spec.h lists these ten.
  for (const char* expected :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2",
        "wide_resnet101_2", "resnext50_32x4d", "resnext101_32x8d", "mobilenet_v2"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  EXPECT_EQ(names.size(), 10u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const Spec s = standard_spec(name);
    EXPECT_NO_THROW(validate(s));
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.input, (std::vector<int64_t>{3, 224, 224}));
    EXPECT_EQ(s.classes, 1000);
    EXPECT_EQ(s.family, name == "mobilenet_v2" ? Family::kMobileNetV2 : Family::kResNet);
    EXPECT_FALSE(is_dense(s.family));
  }
  const Spec r50 = standard_spec("resnet50");
  EXPECT_EQ(r50.resnet.block, Block::kBottleneck);
  EXPECT_EQ(r50.resnet.layers, (std::vector<int>{3, 4, 6, 3}));
  EXPECT_EQ(r50.resnet.stem, Stem::kImageNet);
  EXPECT_EQ(standard_spec("resnext101_32x8d").resnet.groups, 32);
  EXPECT_EQ(standard_spec("resnext101_32x8d").resnet.width_per_group, 8);
  EXPECT_EQ(standard_spec("wide_resnet101_2").resnet.width_per_group, 128);
  EXPECT_EQ(standard_spec("resnet34").resnet.block, Block::kBasic);
  EXPECT_EQ(standard_spec("mobilenet_v2").mobilenet.width_mult, 1.0);
  expect_spec_error([] { standard_spec("resnet19"); }, {"arch", "resnet18", "\"resnet19\""});
}

TEST(SpecTest, IsDense) {
  EXPECT_TRUE(is_dense(Family::kMlp));
  EXPECT_TRUE(is_dense(Family::kCnn));
  EXPECT_TRUE(is_dense(Family::kDepthwiseCnn));
  EXPECT_FALSE(is_dense(Family::kResNet));
  EXPECT_FALSE(is_dense(Family::kMobileNetV2));
}

// ---------------------------------------------------------------------------------------------
// JSON round trip

TEST(SpecTest, JsonRoundTripEveryFamily) {
  for (const Spec& s : sample_specs()) {
    SCOPED_TRACE(spec_to_json(s).dump());
    ASSERT_NO_THROW(validate(s));
    const json j = spec_to_json(s);
    EXPECT_EQ(j.at("format"), "nnmass-spec");
    EXPECT_EQ(j.at("version"), kSpecFormatVersion);
    EXPECT_EQ(j.at("family"), to_string(s.family));
    const Spec back = spec_from_json(j);
    expect_same_spec(s, back);
    // Through text, as in a file, and idempotent.
    const Spec text = spec_from_json(parse_json_text(j.dump(2), "spec.json"));
    expect_same_spec(s, text);
    EXPECT_EQ(spec_to_json(back), j);
  }
}

TEST(SpecTest, JsonDefaults) {
  // Optional fields take the Spec defaults: elu, paper pool, gap head, no name.
  const Spec mlp = spec_from_json(mlp_json());
  EXPECT_EQ(mlp.family, Family::kMlp);
  EXPECT_EQ(mlp.activation, Activation::kElu);
  EXPECT_EQ(mlp.link_pool, LinkPool::kPaper);
  EXPECT_TRUE(mlp.name.empty());
  ASSERT_EQ(mlp.cells.size(), 1u);
  EXPECT_EQ(mlp.cells[0].depth, 8);
  EXPECT_EQ(mlp.cells[0].width, 8);
  EXPECT_EQ(mlp.cells[0].tc, 10);
  EXPECT_NEAR(nn_mass(mlp), 22.095, 5e-4);  // method.md §1.3

  json cnn = cnn_json();
  cnn.erase("head");
  EXPECT_EQ(spec_from_json(cnn).head, Head::kGap);

  // A ResNet written without planes gets torchvision's 64, 128, 256, 512.
  const Spec r = spec_from_json(resnet_json());
  EXPECT_EQ(r.resnet.planes, (std::vector<int>{64, 128, 256, 512}));
  EXPECT_EQ(nn_mass(r), nn_mass(standard_spec("resnet18")));

  const Spec m = spec_from_json(
      json::parse(R"({"family": "mobilenet_v2", "input": [3, 224, 224], "classes": 1000})"));
  EXPECT_EQ(m.mobilenet.width_mult, 1.0);
  EXPECT_EQ(m.mobilenet.repeats, (std::vector<int>{1, 2, 3, 4, 3, 3, 1}));
  EXPECT_EQ(m.mobilenet.stem, Stem::kImageNet);  // files written before the stem field existed
}

// `arch` names a standard layout; the other fields override it.
TEST(SpecTest, JsonArchOverrides) {
  const Spec r50 = spec_from_json(json::parse(R"({"arch": "resnet50", "classes": 10})"));
  EXPECT_EQ(r50.family, Family::kResNet);
  EXPECT_EQ(r50.resnet.block, Block::kBottleneck);
  EXPECT_EQ(r50.classes, 10);
  EXPECT_EQ(r50.input, (std::vector<int64_t>{3, 224, 224}));

  // ResNet-18 with one block per stage: 64+64 + 64+128 + 128+256 + 256+512 = 1472 (§2.3 basic).
  const Spec r = spec_from_json(
      json::parse(R"({"arch": "resnet18", "family": "resnet", "layers": [1, 1, 1, 1]})"));
  EXPECT_NEAR(nn_mass(r), 1472.0, 1e-9);

  const Spec m = spec_from_json(json::parse(R"({"arch": "mobilenet_v2", "width_mult": 1.4})"));
  EXPECT_EQ(m.family, Family::kMobileNetV2);
  EXPECT_NEAR(nn_mass(m), 1807.0, 0.5);  // method.md §2.3

  expect_spec_error([] { spec_from_json(json::parse(R"({"arch": "resnet18", "family": "mlp"})")); },
                    {"family", "\"mlp\"", "resnet18"});
  expect_spec_error([] { spec_from_json(json::parse(R"({"arch": "vgg16"})")); },
                    {"arch", "\"vgg16\""});
  expect_spec_error([] { spec_from_json(json::parse(R"({"arch": 18})")); },
                    {"arch", "must be a string"});
  expect_spec_error(
      [] { spec_from_json(json::parse(R"({"arch": "mobilenet_v2", "block": "basic"})")); },
      {"unknown field block", "mobilenet_v2"});
}

// ---------------------------------------------------------------------------------------------
// Validation errors, through JSON (the field path is part of the message)

TEST(SpecTest, CellValueErrors) {
  auto with = [](const char* key, json value) {
    json j = mlp_json();
    j["cells"][0][key] = value;
    return j;
  };
  expect_spec_error([&] { spec_from_json(with("depth", 2)); },
                    {"cells[0].depth", "at least 3", "got 2"});
  expect_spec_error([&] { spec_from_json(with("depth", -5)); }, {"cells[0].depth", "at least 3"});
  expect_spec_error([&] { spec_from_json(with("width", 0)); },
                    {"cells[0].width", "positive", "got 0"});
  expect_spec_error([&] { spec_from_json(with("width", -8)); }, {"cells[0].width", "positive"});
  expect_spec_error([&] { spec_from_json(with("tc", -1)); },
                    {"cells[0].tc", "zero or positive", "got -1"});
  // The index of the faulty cell is named.
  json j = cnn_json();
  j["cells"][2]["depth"] = 1;
  expect_spec_error([&] { spec_from_json(j); }, {"cells[2].depth"});
  // Depth 3 and tc 0 are legal.
  EXPECT_NO_THROW(spec_from_json(with("depth", 3)));
  EXPECT_NO_THROW(spec_from_json(with("tc", 0)));
  // Out of int range.
  expect_spec_error([&] { spec_from_json(with("depth", int64_t{1} << 40)); }, {"cells[0].depth"});
  expect_spec_error([&] { spec_from_json(with("width", uint64_t{1} << 63)); }, {"cells[0].width"});
  expect_spec_error([&] { spec_from_json(with("width", (1 << 20) + 1)); }, {"cells[0].width"});
}

TEST(SpecTest, WrongTypes) {
  auto cell_with = [](const char* key, json value) {
    json j = mlp_json();
    j["cells"][0][key] = value;
    return j;
  };
  expect_spec_error([&] { spec_from_json(cell_with("depth", "8")); },
                    {"cells[0].depth", "must be an integer", "string"});
  expect_spec_error([&] { spec_from_json(cell_with("depth", 8.5)); },
                    {"cells[0].depth", "must be an integer", "8.5"});
  expect_spec_error([&] { spec_from_json(cell_with("tc", nullptr)); },
                    {"cells[0].tc", "must be an integer"});
  expect_spec_error([&] { spec_from_json(cell_with("width", true)); },
                    {"cells[0].width", "must be an integer", "boolean"});

  json j = mlp_json();
  j["family"] = 3;
  expect_spec_error([&] { spec_from_json(j); }, {"family", "must be a string"});
  j = mlp_json();
  j["input"] = 784;
  expect_spec_error([&] { spec_from_json(j); }, {"input", "array"});
  j = mlp_json();
  j["input"] = {28, "28"};
  expect_spec_error([&] { spec_from_json(j); }, {"input[1]", "must be an integer"});
  j = mlp_json();
  j["classes"] = "10";
  expect_spec_error([&] { spec_from_json(j); }, {"classes", "must be an integer"});
  j = mlp_json();
  j["cells"] = json::object();
  expect_spec_error([&] { spec_from_json(j); }, {"cells", "must be an array", "got an object"});
  j = mlp_json();
  j["cells"] = {8, 8, 10};
  expect_spec_error([&] { spec_from_json(j); }, {"cells[0]", "object"});
  j = mlp_json();
  j["activation"] = 1;
  expect_spec_error([&] { spec_from_json(j); }, {"activation", "must be a string"});
  j = mlp_json();
  j["name"] = json::array();
  expect_spec_error([&] { spec_from_json(j); }, {"name", "must be a string", "got an array"});
  j = mlp_json();
  j["link_pool"] = "neighbours";
  expect_spec_error([&] { spec_from_json(j); }, {"link_pool", "paper", "\"neighbours\""});

  j = resnet_json();
  j["layers"] = {2, 2.5};
  expect_spec_error([&] { spec_from_json(j); }, {"layers[1]", "must be an integer"});
  j = resnet_json();
  j["stem"] = "big";
  expect_spec_error([&] { spec_from_json(j); }, {"stem", "imagenet", "cifar", "\"big\""});

  json m = json::parse(R"({"family": "mobilenet_v2", "input": [3, 224, 224], "classes": 1000})");
  m["width_mult"] = "1.4";
  expect_spec_error([&] { spec_from_json(m); }, {"width_mult", "must be a number"});

  expect_spec_error([] { spec_from_json(json::array()); }, {"spec", "object", "got an array"});
  expect_spec_error([] { spec_from_json(json("mlp")); }, {"spec", "object"});
}

TEST(SpecTest, UnknownFamily) {
  json j = mlp_json();
  j["family"] = "transformer";
  expect_spec_error([&] { spec_from_json(j); },
                    {"family", "mlp", "mobilenet_v2", "\"transformer\""});
}

TEST(SpecTest, MissingFields) {
  for (const char* key : {"family", "input", "classes", "cells"}) {
    json j = mlp_json();
    j.erase(key);
    expect_spec_error([&] { spec_from_json(j); }, {"missing field", key});
  }
  for (const char* key : {"depth", "width", "tc"}) {
    json j = cnn_json();
    j["cells"][1].erase(key);
    expect_spec_error([&] { spec_from_json(j); },
                      {"missing field", std::string("cells[1].") + key});
  }
  for (const char* key : {"block", "layers"}) {
    json j = resnet_json();
    j.erase(key);
    expect_spec_error([&] { spec_from_json(j); }, {"missing field", key});
  }
}

TEST(SpecTest, UnknownFields) {
  json j = mlp_json();
  j["colour"] = "red";
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "colour", "mlp"});
  j = mlp_json();
  j["cells"][0]["heigth"] = 3;
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "cells[0].heigth"});
  // A field of another family is unknown here, and the message says for which family.
  j = mlp_json();
  j["head"] = "gap";  // CNN only
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "head", "mlp"});
  j = cnn_json();
  j["activation"] = "relu";  // MLP only
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "activation", "cnn"});
  j = resnet_json();
  j["cells"] = json::array();
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "cells", "resnet"});
  j = resnet_json();
  j["width_mult"] = 1.0;
  expect_spec_error([&] { spec_from_json(j); }, {"unknown field", "width_mult", "resnet"});
}

TEST(SpecTest, FormatAndVersion) {
  json j = mlp_json();
  j["format"] = "nnmass-links";
  expect_spec_error([&] { spec_from_json(j); }, {"format", "nnmass-spec"});
  j = mlp_json();
  j["version"] = kSpecFormatVersion + 1;
  expect_spec_error([&] { spec_from_json(j); }, {"version", "2"});
  j = mlp_json();
  j["version"] = 0;
  expect_spec_error([&] { spec_from_json(j); }, {"version"});
  j = mlp_json();
  j["version"] = "1";
  expect_spec_error([&] { spec_from_json(j); }, {"version", "must be an integer"});
  j = mlp_json();
  j["format"] = "nnmass-spec";
  j["version"] = kSpecFormatVersion;
  EXPECT_NO_THROW(spec_from_json(j));
}

TEST(SpecTest, InputShapeErrors) {
  json j = cnn_json();
  j["input"] = {3, 32};
  expect_spec_error([&] { spec_from_json(j); },
                    {"input", "[channels, height, width]", "cnn", "got 2"});
  j = cnn_json();
  j["input"] = {3, 32, 32, 1};
  expect_spec_error([&] { spec_from_json(j); }, {"input", "[channels, height, width]"});
  j = resnet_json();
  j["input"] = {224, 224};
  expect_spec_error([&] { spec_from_json(j); }, {"input", "[channels, height, width]", "resnet"});
  j = mlp_json();
  j["input"] = json::array();
  expect_spec_error([&] { spec_from_json(j); }, {"input", "at least one dimension"});
  j = cnn_json();
  j["input"] = {3, 0, 32};
  expect_spec_error([&] { spec_from_json(j); }, {"input[1]", "got 0"});
  j = mlp_json();
  j["input"] = {-784};
  expect_spec_error([&] { spec_from_json(j); }, {"input[0]", "got -784"});
  j = mlp_json();
  j["input"] = {1 << 13, 1 << 13, 1 << 13};  // 2^39 features
  expect_spec_error([&] { spec_from_json(j); }, {"input", "features"});
  // The reference head pools the last map by 2: 3 cells on 4x4 end at 1x1.
  j = cnn_json();
  j["input"] = {3, 4, 4};
  expect_spec_error([&] { spec_from_json(j); }, {"head", "reference", "2x2", "1x1", "gap"});
  j["head"] = "gap";
  EXPECT_NO_THROW(spec_from_json(j));
  // MLP inputs may have any number of dimensions (flattened).
  j = mlp_json();
  j["input"] = {1, 28, 28};
  EXPECT_NO_THROW(spec_from_json(j));
}

TEST(SpecTest, ClassesAndCellsErrors) {
  json j = mlp_json();
  j["classes"] = 0;
  expect_spec_error([&] { spec_from_json(j); }, {"classes", "got 0"});
  j = mlp_json();
  j["cells"] = json::array();
  expect_spec_error([&] { spec_from_json(j); }, {"cells", "at least one cell"});
  // validate() directly: a default Spec is an MLP without cells.
  expect_spec_error([] { validate(Spec{}); }, {"cells"});
}

TEST(SpecTest, ResNetErrors) {
  json j = resnet_json();
  j["planes"] = {64, 128, 256};
  expect_spec_error([&] { spec_from_json(j); }, {"planes", "one entry per stage"});
  j = resnet_json();
  j["layers"] = json::array();
  expect_spec_error([&] { spec_from_json(j); }, {"layers"});
  j = resnet_json();
  j["layers"] = {2, 0, 2, 2};
  expect_spec_error([&] { spec_from_json(j); }, {"layers[1]", "got 0"});
  j = resnet_json();
  j["groups"] = 32;
  expect_spec_error([&] { spec_from_json(j); }, {"basic", "groups"});
  j = resnet_json();
  j["block"] = "bottleneck";
  j["planes"] = {10, 128, 256, 512};
  j["width_per_group"] = 4;  // width floor(10 * 4 / 64) * 1 = 0: a zero-channel conv
  expect_spec_error([&] { spec_from_json(j); }, {"planes[0]", "width_per_group", "64"});
  j = resnet_json();
  j["stem_width"] = 0;
  expect_spec_error([&] { spec_from_json(j); }, {"stem_width", "got 0"});
  j = resnet_json();
  j["planes"] = {64, -128, 256, 512};
  expect_spec_error([&] { spec_from_json(j); }, {"planes[1]"});
  j = resnet_json();
  j["block"] = "triple";
  expect_spec_error([&] { spec_from_json(j); }, {"block", "basic", "bottleneck", "\"triple\""});
}

// torchvision's bottleneck width is int(planes * width_per_group / 64) * groups. planes 1, width
// per group 32, groups 2 passes a "planes * width_per_group * groups is a multiple of 64" rule,
// but its width is int(0.5) * 2 = 0: a zero-channel conv, which validate() must reject.
TEST(SpecTest, BottleneckWidthMustBePositive) {
  Spec s;
  s.family = Family::kResNet;
  s.input = {3, 32, 32};
  s.resnet.block = Block::kBottleneck;
  s.resnet.layers = {1};
  s.resnet.planes = {1};
  s.resnet.width_per_group = 32;
  s.resnet.groups = 2;
  EXPECT_THROW(validate(s), SpecError);
}

TEST(SpecTest, MobileNetErrors) {
  const json base =
      json::parse(R"({"family": "mobilenet_v2", "input": [3, 224, 224], "classes": 1000})");
  json j = base;
  j["width_mult"] = 0;
  expect_spec_error([&] { spec_from_json(j); }, {"width_mult", "positive"});
  j = base;
  j["width_mult"] = -1.4;
  expect_spec_error([&] { spec_from_json(j); }, {"width_mult", "positive"});
  j = base;
  j["repeats"] = {1, 2, 3, 4, 3, 3};
  expect_spec_error([&] { spec_from_json(j); }, {"repeats", "7 stages", "got 6"});
  j = base;
  j["repeats"] = {1, 2, -3, 4, 3, 3, 1};
  expect_spec_error([&] { spec_from_json(j); }, {"repeats[2]", "got -3"});
  // NaN cannot come from JSON; through validate().
  Spec s = standard_spec("mobilenet_v2");
  s.mobilenet.width_mult = std::numeric_limits<double>::quiet_NaN();
  expect_spec_error([&] { validate(s); }, {"width_mult"});
}

// ---------------------------------------------------------------------------------------------
// Text and files

TEST(SpecTest, MalformedJsonText) {
  expect_error<IoError>([] { parse_json_text("{\"family\": ", "spec.json"); },
                        {"spec.json", "malformed JSON", "line 1"});
  expect_error<IoError>([] { parse_json_text("", "empty.json"); },
                        {"empty.json", "malformed JSON"});
  expect_error<IoError>([] { parse_json_text("{\"a\": 1}\n{", "two.json"); },
                        {"two.json", "malformed JSON", "line 2"});
  expect_error<IoError>([] { parse_json_text("{'a': 1}", "quotes.json"); }, {"quotes.json"});
  EXPECT_EQ(parse_json_text(" {\"a\": [1, 2]} ", "ok.json"), json::parse(R"({"a": [1, 2]})"));
}

TEST(SpecTest, JsonNestedDeeperThan64LevelsIsRefused) {
  // The crash that motivated the limit: `input` nested 100,000 deep overflowed the stack.
  const std::string deep =
      "{\"family\": \"mlp\", \"input\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  // The object is level 1, the first bracket (byte 28, 1-based) level 2: the 64th bracket, at
  // byte 91, opens level 65.
  expect_error<IoError>([&] { parse_json_text(deep, "deep.json"); },
                        {"deep.json: JSON nested deeper than 64 levels at byte 91"});
  // Exactly 64 levels parse.
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(parse_json_text(ok, "ok.json").dump(), ok);
  expect_error<IoError>([&] { parse_json_text("[" + ok + "]", "65.json"); },
                        {"65.json: JSON nested deeper than 64 levels at byte 65"});
  // Objects count as levels too.
  std::string objects;
  for (int k = 0; k < 65; ++k) objects += "{\"a\":";
  objects += "1" + std::string(65, '}');
  expect_error<IoError>([&] { parse_json_text(objects, "o.json"); },
                        {"o.json: JSON nested deeper than 64 levels at byte 321"});
  // Through read_spec_file: an error, not a crash.
  const std::string file = temp_path("deep");
  write_file_atomic(file, deep);
  expect_error<IoError>([&] { read_spec_file(file); }, {file + ": JSON nested deeper than 64 levels"});
  std::remove(file.c_str());
}

TEST(SpecTest, KeyGivenTwiceInOneObjectIsRefused) {
  // nlohmann keeps the last value silently: a spec with two depths would be half-read.
  const std::string text = R"({"family": "mlp", "input": [784], "classes": 10,
 "cells": [{"depth": 4, "width": 8, "tc": 2, "depth": 40}]})";
  // The second "depth" starts at byte 95 (1-based; line 2 starts at byte 50).
  expect_error<IoError>([&] { parse_json_text(text, "twice.json"); },
                        {"twice.json: key \"depth\" given twice in one object (at byte 95)"});
  // The same key in different objects, or at different levels, is fine.
  EXPECT_NO_THROW(parse_json_text(R"({"a": {"a": 1, "b": [{"a": 2}, {"a": 3}]}, "b": {"a": 4}})", "ok.json"));
  // Keys are compared after unescaping; escaped quotes in a key do not confuse the position.
  expect_error<IoError>([&] { parse_json_text(R"({"a\"b": 1, "c": 2, "a\u0022b": 3})", "esc.json"); },
                        {"esc.json: key \"a\\\"b\" given twice in one object (at byte 21)"});
  // A long key is shortened in the message, which stays one line.
  const std::string long_key(100, 'k');
  expect_error<IoError>([&] { parse_json_text("{\"" + long_key + "\": 1,\n\"" + long_key + "\": 2}", "long.json"); },
                        {"long.json: key \"" + std::string(37, 'k') + "...\" given twice in one object (at byte 109)"});
  // Duplicates in links and in nested objects are caught as well.
  expect_error<IoError>([&] { parse_json_text(R"({"seed": 1, "cells": [], "seed": 2})", "links.json"); },
                        {"key \"seed\" given twice"});
}

TEST(SpecTest, NumberTooLargeForADoubleIsMalformedJson) {
  // nlohmann reports it as out_of_range.406, not a parse_error: it must still become an IoError.
  expect_error<IoError>([] { parse_json_text(R"({"width_mult": 1e500})", "big.json"); },
                        {"big.json: malformed JSON: number overflow parsing '1e500'"});
}

TEST(SpecTest, ReadSpecFile) {
  const std::string good = temp_path("good");
  write_file_atomic(good, spec_to_json(sample_specs()[0]).dump(2));
  expect_same_spec(read_spec_file(good), sample_specs()[0]);
  std::remove(good.c_str());

  const std::string missing = temp_path("missing_does_not_exist");
  expect_error<IoError>([&] { read_spec_file(missing); }, {missing});

  const std::string bad_json = temp_path("bad_json");
  write_text(bad_json, "{\"family\": \"mlp\",,}");
  expect_error<IoError>([&] { read_spec_file(bad_json); }, {bad_json, "malformed JSON"});
  std::remove(bad_json.c_str());

  // Valid JSON, invalid spec: a SpecError prefixed with the path.
  const std::string bad_spec = temp_path("bad_spec");
  json j = mlp_json();
  j["cells"][0]["depth"] = 2;
  write_text(bad_spec, j.dump());
  expect_spec_error([&] { read_spec_file(bad_spec); }, {bad_spec + ": ", "cells[0].depth"});
  std::remove(bad_spec.c_str());

  // A folder is not a readable spec file.
  expect_error<IoError>([] { read_spec_file("/"); }, {"/"});
}

TEST(SpecTest, WriteFileAtomic) {
  const std::string path = temp_path("atomic");
  write_file_atomic(path, "first");
  write_file_atomic(path, "{\"x\": 1}");  // replaces
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\"x\": 1}");
  // A missing folder is created; one that cannot be (its parent is a file) is an IoError.
  const std::string nested = temp_path("atomic-dir") + "/sub/x.json";
  write_file_atomic(nested, "x");
  EXPECT_TRUE(std::ifstream(nested).good());
  std::filesystem::remove_all(temp_path("atomic-dir"));
  const std::string nowhere = path + "/x.json";  // `path` is a file
  expect_error<IoError>([&] { write_file_atomic(nowhere, "x"); }, {nowhere});
  std::remove(path.c_str());
}

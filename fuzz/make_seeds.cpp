// Writes the generated part of the fuzzing seed corpus under the folder given (fuzz/corpus):
//   spec_json/  specs of every family (spec_to_json of specs built here)
//   links_json/ drawn links for small specs in both modes of fuzz_links_json
//   idx/        IDX files, plain and gzip (one of two gzip members), 1 to 4 dimensions
//   cifar/      CIFAR-10 and CIFAR-100 records (first byte: the version, as fuzz_cifar reads it)
//   store/      a small results database written by RunStore, and one with no runs
// Hand-written seeds (arch overrides, damaged files) sit beside these. Deterministic: rerunning
// rewrites the same bytes (the store files up to SQLite's own header counters).
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nnmass/data/idx_format.h"
#include "nnmass/spec_json.h"
#include "nnmass/sweep/store.h"

namespace fs = std::filesystem;
using namespace nnmass;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// gzip of `bytes` in memory (one member).
std::string gzip(const std::string& bytes) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, bytes.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Spec dense(Family family, std::vector<int64_t> input, std::vector<Cell> cells, LinkPool pool) {
  Spec s;
  s.family = family;
  s.input = std::move(input);
  s.classes = 10;
  s.cells = std::move(cells);
  s.link_pool = pool;
  return s;
}

void spec_seeds(const fs::path& dir) {
  std::vector<std::pair<std::string, Spec>> specs = {
      {"mlp", dense(Family::kMlp, {784}, {{8, 16, 12}}, LinkPool::kPaper)},
      {"mlp_cells", dense(Family::kMlp, {2}, {{4, 2, 1}, {5, 3, 0}}, LinkPool::kReference)},
      {"cnn", dense(Family::kCnn, {3, 32, 32}, {{4, 8, 6}, {4, 16, 10}, {4, 32, 20}}, LinkPool::kReference)},
      {"dwcnn", dense(Family::kDepthwiseCnn, {3, 32, 32}, {{3, 8, 4}}, LinkPool::kPaper)},
  };
  specs[0].second.activation = Activation::kRelu;
  specs[2].second.head = Head::kReference;
  for (const char* arch : {"resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2"})
    specs.emplace_back(arch, standard_spec(arch));
  Spec cifar_resnet = standard_spec("resnet18");
  cifar_resnet.name = "cifar_resnet";
  cifar_resnet.input = {3, 32, 32};
  cifar_resnet.resnet.stem = Stem::kCifar;
  cifar_resnet.resnet.layers = {1, 1, 1};
  cifar_resnet.resnet.planes = {16, 32, 64};
  specs.emplace_back("resnet_cifar", cifar_resnet);
  for (const auto& [name, spec] : specs) {
    validate(spec);
    write(dir / (name + ".json"), spec_to_json(spec).dump(2) + "\n");
  }
}

// Mode 0 of fuzz_links_json: a byte for family and pool, one for the cell count, three per cell
// (depth - 3, width - 1, t_c), then the links text. Must match small_spec there.
void links_seeds(const fs::path& dir) {
  struct Case {
    const char* name;
    std::vector<uint8_t> head;
  };
  const std::vector<Case> cases = {
      {"mlp_paper", {0, 0, 2, 3, 5}},            // mlp, paper pool, 1 cell: depth 5, width 4, t_c 5
      {"cnn_reference", {4, 1, 1, 1, 3, 3, 2, 4}},  // cnn, reference pool, 2 cells
      {"dwcnn_saturated", {2, 0, 0, 0, 19}},     // depth 3, width 1, t_c 19: the whole pool
      {"mlp_no_links", {0, 0, 4, 2, 0}},         // t_c 0: every layer takes none
  };
  for (const Case& c : cases) {
    auto next = [&, k = size_t{1}]() mutable -> int { return k < c.head.size() ? c.head[k++] : 0; };
    Spec s;
    const int kind = c.head[0];
    s.family = kind % 3 == 0 ? Family::kMlp : kind % 3 == 1 ? Family::kCnn : Family::kDepthwiseCnn;
    s.link_pool = (kind / 3) % 2 == 0 ? LinkPool::kPaper : LinkPool::kReference;
    s.input = s.family == Family::kMlp ? std::vector<int64_t>{16} : std::vector<int64_t>{1, 8, 8};
    s.classes = 2;
    const int cells = 1 + next() % 3;
    for (int k = 0; k < cells; ++k) s.cells.push_back({3 + next() % 8, 1 + next() % 8, next() % 20});
    validate(s);
    const std::string text = links_to_json(draw_links(s, 42)).dump();
    write(dir / (std::string(c.name) + ".bin"), std::string(c.head.begin(), c.head.end()) + text);
    // Mode 1: the spec and its links in one object.
    const nlohmann::json pair = {{"spec", spec_to_json(s)}, {"links", links_to_json(draw_links(s, 7))}};
    write(dir / (std::string(c.name) + "_pair.bin"), "\x80" + pair.dump());
  }
}

void idx_seeds(const fs::path& dir) {
  std::vector<uint8_t> labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<uint8_t> images(2 * 4 * 4);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 37 + 11);
  const std::string l = idx_file_bytes({10}, labels.data(), labels.size());
  const std::string im = idx_file_bytes({2, 4, 4}, images.data(), images.size());
  write(dir / "labels.idx", l);
  write(dir / "images.idx", im);
  write(dir / "images.idx.gz", gzip(im));
  write(dir / "two_members.gz", gzip(im.substr(0, 9)) + gzip(im.substr(9)));
  write(dir / "four_dims.idx", idx_file_bytes({1, 2, 2, 2}, images.data(), 8));
  write(dir / "big_size.idx", idx_file_bytes({258}, std::vector<uint8_t>(258, 7).data(), 258));
}

std::string cifar_record(int id, const std::vector<int>& label_bytes) {
  std::string r;
  for (int b : label_bytes) r.push_back(static_cast<char>(b));
  for (int p = 0; p < 3 * 32 * 32; ++p) r.push_back(static_cast<char>((id * 7 + p * 3) % 256));
  return r;
}

void cifar_seeds(const fs::path& dir) {
  write(dir / "cifar10.bin", std::string(1, '\0') + cifar_record(0, {3}) + cifar_record(1, {9}));
  write(dir / "cifar100.bin", std::string(1, '\1') + cifar_record(2, {19, 99}) + cifar_record(3, {0, 0}));
}

RunRecord run(const std::string& key, int depth, double acc) {
  RunRecord r;
  r.key = key;
  r.status = "ok";
  r.family = "mlp";
  r.depth = depth;
  r.width = 8;
  r.tc = 4;
  r.cells = std::to_string(depth) + "x8x4";
  r.nn_mass = 1.5 * depth;
  r.density = 0.25;
  r.params = 1000 + depth;
  r.test_acc = acc;
  r.epochs = 1;
  r.data = "circle";
  r.spec_json = R"({"family":"mlp"})";
  r.nnmass_version = "fuzz";
  r.finished_at = "2026-01-01T00:00:00Z";
  return r;
}

void store_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* name : {"runs.sqlite", "empty_store.sqlite"}) fs::remove(dir / name);
  {
    RunStore store((dir / "runs.sqlite").string());
    store.put(run("a", 4, 0.5));
    RunRecord failed = run("b", 5, 0);
    failed.status = "failed";
    failed.error = "diverged";
    store.put(failed);
    store.put(run("c", 6, 0.75));
  }
  { RunStore store((dir / "empty_store.sqlite").string()); }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR (fuzz/corpus)\n");
    return 2;
  }
  const fs::path root = argv[1];
  spec_seeds(root / "spec_json");
  links_seeds(root / "links_json");
  idx_seeds(root / "idx");
  cifar_seeds(root / "cifar");
  store_seeds(root / "store");
  return 0;
}

// Helpers shared by the data and training tests (train_tests): scratch folders, raw file
// writing, gzip, small MNIST-format folders, the installed Fashion-MNIST (loaded once per
// process), error-message checks and parameter snapshots. Header-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nnmass/data/dataset.h"
#include "nnmass/data/idx.h"
#include "nnmass/error.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"
#include "scratch_dir.h"

namespace nnmass::test {

namespace fs = std::filesystem;



inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(out) << "cannot write " << path;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}


// gzip-compresses `bytes` into `path` with zlib's own writer.
inline void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "gzopen " << path;
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

// An IDX file image, built by hand: magic 00 00 <type> <ndims>, big-endian uint32 sizes, data.
inline std::string idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string b = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<char>((d >> shift) & 0xff));
  return b + data;
}

// The bytes of a uint8 tensor, row-major.
inline std::string tensor_bytes(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), c.numel());
}

// Deterministic uint8 images [n, h, w] and labels [n] (label i % label_mod).
inline std::pair<torch::Tensor, torch::Tensor> small_images(int64_t n, int64_t h, int64_t w,
                                                            int64_t label_mod, uint64_t seed) {
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor images = torch::randint(0, 256, {n, h, w}, g, torch::kUInt8);
  torch::Tensor labels = torch::arange(n, torch::kInt64).remainder(label_mod).to(torch::kUInt8);
  return {images, labels};
}

// Writes the four MNIST-format files (plain) of a small data set into `dir`.
struct MnistFiles {
  torch::Tensor train_images, train_labels, test_images, test_labels;  // uint8, as written
};
inline MnistFiles write_mnist_folder(const fs::path& dir, int64_t n_train, int64_t n_test, int64_t h,
                                     int64_t w, int64_t label_mod) {
  MnistFiles f;
  std::tie(f.train_images, f.train_labels) = small_images(n_train, h, w, label_mod, 11);
  std::tie(f.test_images, f.test_labels) = small_images(n_test, h, w, label_mod, 12);
  write_idx((dir / "train-images-idx3-ubyte").string(), f.train_images);
  write_idx((dir / "train-labels-idx1-ubyte").string(), f.train_labels);
  write_idx((dir / "t10k-images-idx3-ubyte").string(), f.test_images);
  write_idx((dir / "t10k-labels-idx1-ubyte").string(), f.test_labels);
  return f;
}

// Runs `fn`, expecting an exception of type E whose message contains every one of `parts` and is
// a single line (the tool prints library errors as one `error: ...` line).
template <typename E>
::testing::AssertionResult throws_with(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const E& e) {
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos)
      return ::testing::AssertionFailure() << "message is not one line: " << what;
    for (const std::string& p : parts)
      if (what.find(p) == std::string::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << p << "\": " << what;
    return ::testing::AssertionSuccess() << what;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// The installed Fashion-MNIST (Debian's dataset-fashion-mnist), loaded once per process; null if
// it is not installed.
inline const DataSplit* fashion_mnist() {
  static const std::optional<DataSplit> data = []() -> std::optional<DataSplit> {
    if (!fs::is_directory(kFashionMnistDir)) return std::nullopt;
    return load_data(DataOptions{});
  }();
  return data ? &*data : nullptr;
}

// The first n_train / n_test samples of Fashion-MNIST (what limit_train / limit_test give).
inline DataSplit fashion_slice(int64_t n_train, int64_t n_test) {
  DataSplit s = *fashion_mnist();
  s.train = {s.train.inputs.narrow(0, 0, n_train), s.train.labels.narrow(0, 0, n_train), {}, {}};
  s.test = {s.test.inputs.narrow(0, 0, n_test), s.test.labels.narrow(0, 0, n_test), {}, {}};
  return s;
}

// A one-cell DenseNet-type MLP spec.
inline Spec mlp(std::vector<int64_t> input, int classes, int depth, int width, int tc) {
  Spec s;
  s.family = Family::kMlp;
  s.input = std::move(input);
  s.classes = classes;
  s.cells = {Cell{depth, width, tc}};
  return s;
}

inline Network build_seeded(const Spec& spec, uint64_t seed) {
  InitOptions init;
  init.seed = seed;
  return build_network(spec, nullptr, init);
}

// Deep copies of a module's parameters by name.
inline std::map<std::string, torch::Tensor> snapshot(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

// Largest absolute difference between two snapshots of the same module layout.
inline double max_abs_diff(const std::map<std::string, torch::Tensor>& a,
                           const std::map<std::string, torch::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (const auto& [name, t] : a) {
    const auto it = b.find(name);
    EXPECT_NE(it, b.end()) << name;
    if (it == b.end()) continue;
    worst = std::max(worst, (t - it->second).abs().max().item<double>());
  }
  return worst;
}

}  // namespace nnmass::test

// Helpers shared by the pack tests (train_tests): a small learnable data set, the relative
// distance used to compare a packed model with its lone run, and the lone run's comparison.
// Header-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include <gtest/gtest.h>

#include "nnmass/data/dataset.h"
#include "nnmass/train/pack_trainer.h"

namespace nnmass::test {

// Random float inputs of `shape` per sample, 3 classes from a fixed random projection of them.
inline DataSplit projection_data(const std::vector<int64_t>& shape, int64_t train, int64_t test, uint64_t seed) {
  torch::manual_seed(seed);
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  const torch::Tensor w = torch::randn({features, 3});
  const auto split = [&](int64_t n) {
    std::vector<int64_t> sizes = {n};
    sizes.insert(sizes.end(), shape.begin(), shape.end());
    Dataset d;
    d.inputs = torch::randn(sizes);
    d.labels = d.inputs.reshape({n, features}).matmul(w).argmax(1);
    return d;
  };
  DataSplit data;
  data.name = "test-projection";
  data.train = split(train);
  data.test = split(test);
  data.classes = 3;
  data.shape = shape;
  return data;
}

// ||a - b|| / max(||b||, floor).
inline double relative_difference(const torch::Tensor& a, const torch::Tensor& b, double floor = 0) {
  const double nb = b.norm().item<double>(), d = (a - b).norm().item<double>();
  const double scale = std::max(nb, floor);
  return scale == 0 ? d : d / scale;
}

// Trains `lone` alone (the recipe with `seed`) and expects the packed run to have ended as it does:
// no error, test loss within 1e-5 relative, the same test accuracy.
inline void expect_like_lone_run(const PackRunResult& packed, NetworkImpl& lone, const DataSplit& data,
                                 TrainOptions options, uint64_t seed, const std::string& what) {
  options.seed = seed;
  const TrainResult alone = train(lone, data, options, nlohmann::json::object(), nullptr);
  EXPECT_EQ(packed.error, "") << what;
  EXPECT_NEAR(packed.test.loss, alone.test.loss, 1e-5 * alone.test.loss) << what;
  EXPECT_EQ(packed.test.accuracy, alone.test.accuracy) << what;
}

}  // namespace nnmass::test

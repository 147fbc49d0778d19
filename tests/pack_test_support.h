// Helpers shared by the pack tests (train_tests): a small learnable data set and the relative
// distance used to compare a packed model with its lone run. Header-only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "nnmass/data/dataset.h"

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

}  // namespace nnmass::test

// Data sets held in memory as tensors: images (or points) and labels, train and test splits.
// Sources: IDX files (MNIST, Fashion-MNIST; plain or gzip), CIFAR-10/100 binary files, and the
// synthetic two-class `linear` / `circle` sets of method spec §4.1. Every reader checks what it
// reads (magic numbers, shapes, counts, truncation) and says in one line what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/recipe.h"

namespace nnmass {

struct Dataset {
  torch::Tensor inputs;  // float32 [N, C, H, W] for images, [N, features] for points
  torch::Tensor labels;  // int64 [N], values in [0, classes)
  int64_t size() const { return labels.size(0); }
};

struct DataSplit {
  std::string name;              // "fashion-mnist", "mnist", "cifar10", "circle", ...
  Dataset train, test;
  int64_t classes = 0;
  std::vector<int64_t> shape;    // per-sample input shape, e.g. {1, 28, 28}
  bool augment_crop_flip = false;  // random crop (pad 4) + horizontal flip suits this data
};

// Loads the data set `options.source` names. IoError with the path and the fix if it cannot.
DataSplit load_data(const DataOptions& options);

// One batch of training inputs with random crop (zero padding `pad`) and horizontal flip, drawn
// from `generator`. x: [B, C, H, W].
torch::Tensor augment_crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& generator);

}  // namespace nnmass

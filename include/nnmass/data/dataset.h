// Data sets held in memory as tensors: images (or points) and labels, train and test splits.
// Sources: IDX files (MNIST, Fashion-MNIST; plain or gzip), CIFAR-10/100 binary files, and the
// synthetic two-class `linear` / `circle` sets of method spec §4.1. Every reader checks what it
// reads (magic numbers, shapes, counts, truncation) and says in one line what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace nnmass {

// The data set Debian's dataset-fashion-mnist installs: the default when no --data is given.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

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

struct DataOptions {
  std::string source;          // "" (Fashion-MNIST), a folder (IDX or CIFAR), "linear", "circle"
  int64_t limit_train = 0;     // keep only the first N training samples (0: all)
  int64_t limit_test = 0;      // keep only the first N test samples (0: all)
  int num_seg = 20;            // synthetic sets: alternating label segments
  uint64_t seed = 0;           // synthetic sets: generator seed
  bool need_train = true;      // false: skip reading the training split (it is left empty)
};

// Loads the data set `options.source` names. IoError with the path and the fix if it cannot.
DataSplit load_data(const DataOptions& options);

// One batch of training inputs with random crop (zero padding `pad`) and horizontal flip, drawn
// from `generator`. x: [B, C, H, W].
torch::Tensor augment_crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& generator);

}  // namespace nnmass

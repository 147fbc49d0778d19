// Data sets held in memory as tensors: images (or points) and labels, train and test splits.
// Sources: IDX files (MNIST, Fashion-MNIST; plain or gzip), CIFAR-10/100 binary files, and the
// synthetic two-class `linear` / `circle` sets of method spec §4.1. Every reader checks what it
// reads (magic numbers, shapes, counts, truncation) and says in one line what is wrong. Image
// folders (ImageNet layout, image_folder.h) are listed here but streamed from disk in batches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/data/image_folder.h"
#include "nnmass/recipe.h"

namespace nnmass {

// Images of 8-bit formats are held as their uint8 pixels (a quarter of float32's memory: one
// copy per process, shared by every run, pack and job) and become float32 batch by batch.
struct Dataset {
  torch::Tensor inputs;  // uint8 [N, C, H, W] pixels (IDX, CIFAR), or float32 [N, features] (points)
  torch::Tensor labels;  // int64 [N], values in [0, classes)
  // How pixels become the network's input: x = (p / 255 - mean[c]) / stdev[c] (CIFAR, spec §4.2),
  // x = p / 255 when empty (ToTensor, MNIST formats).
  std::vector<float> mean, stdev;
  int64_t size() const { return labels.size(0); }
  // The network's float32 input for rows of `inputs` (any device); float rows pass unchanged.
  torch::Tensor to_input(const torch::Tensor& rows) const;
  torch::Tensor input_slice(int64_t start, int64_t count) const { return to_input(inputs.narrow(0, start, count)); }
};

struct DataSplit {
  std::string name;              // "fashion-mnist", "mnist", "cifar10", "circle", ...
  Dataset train, test;
  int64_t classes = 0;
  std::vector<int64_t> shape;    // per-sample input shape, e.g. {1, 28, 28}
  // Augmentation suits this data: CIFAR's random crop (pad 4) + flip, an image folder's random
  // resized crop + flip.
  bool augment_crop_flip = false;
  // Set for an image folder: its batches are streamed from disk (batch_source.h) and train and
  // test hold no samples.
  std::shared_ptr<const ImageFolder> image_folder;
};

// Loads the data set `options.source` names (an image folder: lists it, if
// options.stream_images). IoError with the path and the fix if it cannot.
DataSplit load_data(const DataOptions& options);

// One batch of training inputs with random crop (zero padding `pad`) and horizontal flip, drawn
// from `generator`. x: [B, C, H, W].
torch::Tensor augment_crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& generator);

}  // namespace nnmass

// Where the trainer's batches come from: a data set held in memory (its tensors, shuffled and
// sliced; CIFAR crop + flip) or an image folder streamed from disk by loader threads
// (image_loader.h). One interface, so one training loop serves both.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <torch/torch.h>

#include "nnmass/data/dataset.h"

namespace nnmass {

struct Batch {
  torch::Tensor x;  // float32 network input [B, ...] on the pass's device
  torch::Tensor y;  // int64 labels [B] on the pass's device
};

// One pass over a split, batch by batch.
class BatchStream {
 public:
  virtual ~BatchStream() = default;
  virtual int64_t batches() const = 0;
  // The next batch, or nullopt after the last. Errors of reading the data are thrown here.
  virtual std::optional<Batch> next() = 0;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t train_size() const = 0;
  virtual int64_t test_size() const = 0;
  // The training split in an order shuffled from (seed, epoch), 0-based epoch; `augment`: the
  // data's augmentation, drawn from (seed, epoch) too, so a resumed run sees the same batches.
  virtual std::unique_ptr<BatchStream> train_epoch(int epoch, uint64_t seed, int64_t batch_size, bool augment) = 0;
  // The test split in order, unaugmented.
  virtual std::unique_ptr<BatchStream> test_pass(int64_t batch_size) = 0;
};

// The batches of `data` on `device`: streamed from its image folder if it has one, else sliced
// from its tensors (moved to `device` once).
std::unique_ptr<BatchSource> make_batch_source(const DataSplit& data, const torch::Device& device);

// The samples of a data set in memory, in order, on `device`.
std::unique_ptr<BatchStream> memory_batches(const Dataset& data, int64_t batch_size, const torch::Device& device);

}  // namespace nnmass

// Batches of a data set in memory, and the choice between it and a streamed image folder; see
// batch_source.h. The training pass is the trainer's historical loop unchanged: one generator per
// epoch seeded from (seed, epoch), randperm, then each batch's crop + flip from that generator.
#include "nnmass/data/batch_source.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/rng.h"
#include "nnmass/data/image_loader.h"

namespace nnmass {
namespace {

constexpr int64_t kCropPadding = 4;  // CIFAR: RandomCrop(32, padding=4)

int64_t batch_count(int64_t n, int64_t batch_size) { return (n + batch_size - 1) / batch_size; }

// A shuffled training epoch of tensors already on the device.
class ShuffledBatches final : public BatchStream {
 public:
  ShuffledBatches(const Dataset& data, torch::Tensor inputs, torch::Tensor labels, int epoch, uint64_t seed,
                  int64_t batch_size, bool augment, const torch::Device& device)
      : data_(data), inputs_(std::move(inputs)), labels_(std::move(labels)), batch_size_(batch_size),
        augment_(augment), device_(device),
        generator_(at::make_generator<at::CPUGeneratorImpl>(detail::mix_seed(seed, epoch + 1))),
        order_(torch::randperm(data.size(), generator_, torch::kLong).to(device)) {}

  int64_t batches() const override { return batch_count(data_.size(), batch_size_); }

  std::optional<Batch> next() override {
    const int64_t start = done_ * batch_size_;
    if (start >= data_.size()) return std::nullopt;
    ++done_;
    const torch::Tensor index = order_.narrow(0, start, std::min(batch_size_, data_.size() - start));
    torch::Tensor x = data_.to_input(inputs_.index_select(0, index));
    if (augment_ && x.dim() == 4) x = augment_crop_flip(x.cpu(), kCropPadding, generator_).to(device_);
    return Batch{x, labels_.index_select(0, index)};
  }

 private:
  const Dataset& data_;
  torch::Tensor inputs_, labels_;
  int64_t batch_size_;
  bool augment_;
  torch::Device device_;
  torch::Generator generator_;
  torch::Tensor order_;
  int64_t done_ = 0;
};

// A data set in order, each slice moved to the device as it is used.
class OrderedBatches final : public BatchStream {
 public:
  OrderedBatches(const Dataset& data, int64_t batch_size, const torch::Device& device)
      : data_(data), batch_size_(batch_size), device_(device) {}

  int64_t batches() const override { return batch_count(data_.size(), batch_size_); }

  std::optional<Batch> next() override {
    if (start_ >= data_.size()) return std::nullopt;
    const int64_t b = std::min(batch_size_, data_.size() - start_);
    Batch batch{data_.to_input(data_.inputs.narrow(0, start_, b).to(device_)), data_.labels.narrow(0, start_, b).to(device_)};
    start_ += b;
    return batch;
  }

 private:
  const Dataset& data_;
  int64_t batch_size_;
  torch::Device device_;
  int64_t start_ = 0;
};

class MemorySource final : public BatchSource {
 public:
  MemorySource(const DataSplit& data, const torch::Device& device)
      : data_(data), device_(device), inputs_(data.train.inputs.to(device)), labels_(data.train.labels.to(device)) {}

  int64_t train_size() const override { return data_.train.size(); }
  int64_t test_size() const override { return data_.test.size(); }

  std::unique_ptr<BatchStream> train_epoch(int epoch, uint64_t seed, int64_t batch_size, bool augment) override {
    return std::make_unique<ShuffledBatches>(data_.train, inputs_, labels_, epoch, seed, batch_size, augment, device_);
  }
  std::unique_ptr<BatchStream> test_pass(int64_t batch_size) override {
    return memory_batches(data_.test, batch_size, device_);
  }

 private:
  const DataSplit& data_;
  torch::Device device_;
  torch::Tensor inputs_, labels_;
};

}  // namespace

std::unique_ptr<BatchStream> memory_batches(const Dataset& data, int64_t batch_size, const torch::Device& device) {
  return std::make_unique<OrderedBatches>(data, batch_size, device);
}

std::unique_ptr<BatchSource> make_batch_source(const DataSplit& data, const torch::Device& device) {
  if (data.image_folder) return image_folder_source(data.image_folder, device);
  return std::make_unique<MemorySource>(data, device);
}

}  // namespace nnmass

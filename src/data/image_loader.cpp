// Worker threads that turn an image folder into batches; see image_loader.h.
// Legend: B batch size, C channels (1 or 3), S image size; a batch is x [B, C, S, S] float32 and
// y [B] int64. Batch k holds the samples order[k B .. k B + B - 1].
#include "nnmass/data/image_loader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "nnmass/data/image_decode.h"

namespace nnmass {
namespace {

constexpr int64_t kExtraInFlight = 2;  // batches ready ahead of the consumer beyond one per worker
constexpr uint64_t kOrderStream = 0;   // per-epoch seed streams: 0 the order, 1 + i sample i

// What one pass reads and how.
struct Pass {
  std::shared_ptr<const ImageFolder> folder;
  bool train_split = true;      // train/ or val/
  std::vector<int64_t> order;   // sample indices, in pass order
  ImageTransform transform;     // with augment chosen for this pass
  uint64_t epoch_seed = 0;      // sample i draws from mix_seed(epoch_seed, 1 + i)
  int64_t batch_size = 1;
  torch::Device device = torch::kCPU;
};

class ImageBatches final : public BatchStream {
 public:
  explicit ImageBatches(Pass pass)
      : pass_(std::move(pass)),
        batches_((static_cast<int64_t>(pass_.order.size()) + pass_.batch_size - 1) / pass_.batch_size) {
    const int64_t threads = std::min<int64_t>(std::max(pass_.folder->loader_threads, 1), batches_);
    capacity_ = threads + kExtraInFlight;
    try {
      for (int64_t t = 0; t < threads; ++t) workers_.emplace_back([this] { work(); });
    } catch (...) {
      stop();
      throw;
    }
  }
  ~ImageBatches() override { stop(); }
  ImageBatches(const ImageBatches&) = delete;
  ImageBatches& operator=(const ImageBatches&) = delete;

  int64_t batches() const override { return batches_; }

  std::optional<Batch> next() override {
    if (error_) std::rethrow_exception(error_);
    if (delivered_ == batches_) return std::nullopt;
    Ready ready;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      produced_.wait(lock, [&] { return ready_.count(delivered_) > 0; });
      auto it = ready_.find(delivered_);
      ready = std::move(it->second);
      ready_.erase(it);
      ++delivered_;
    }
    consumed_.notify_all();
    if (ready.error) {
      error_ = ready.error;
      stop();
      std::rethrow_exception(error_);
    }
    return Batch{ready.batch.x.to(pass_.device), ready.batch.y.to(pass_.device)};
  }

 private:
  struct Ready {
    Batch batch;
    std::exception_ptr error;
  };

  // Claims the next batch while fewer than capacity_ are in flight, builds it, hands it over.
  void work() {
    for (;;) {
      int64_t k = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        consumed_.wait(lock, [&] { return stopping_ || claimed_ >= batches_ || claimed_ < delivered_ + capacity_; });
        if (stopping_ || claimed_ >= batches_) return;
        k = claimed_++;
      }
      Ready ready = build(k);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(k, std::move(ready));
      }
      produced_.notify_all();
    }
  }

  // Batch k, or the first error met building it (so the error reported is the same whatever the
  // thread count).
  Ready build(int64_t k) const noexcept {
    Ready ready;
    try {
      const ImageFolder& f = *pass_.folder;
      const ImageList& list = pass_.train_split ? f.train : f.val;
      const int64_t start = k * pass_.batch_size;
      const int64_t b = std::min<int64_t>(pass_.batch_size, static_cast<int64_t>(pass_.order.size()) - start);
      const int64_t s = pass_.transform.size, sample_floats = f.channels * s * s;
      torch::Tensor x = torch::empty({b, f.channels, s, s}, torch::kFloat32);
      torch::Tensor y = torch::empty({b}, torch::kInt64);
      float* xs = x.data_ptr<float>();
      int64_t* ys = y.data_ptr<int64_t>();
      for (int64_t i = 0; i < b; ++i) {
        const int64_t index = pass_.order[start + i];
        const std::string path = pass_.train_split ? f.train_path(index) : f.val_path(index);
        const std::vector<uint8_t> bytes = read_image_file(path);
        const Image image = decode_image(bytes.data(), bytes.size(), f.channels, path);
        transform_image(image, pass_.transform, detail::mix_seed(pass_.epoch_seed, 1 + static_cast<uint64_t>(index)),
                        xs + i * sample_floats);
        ys[i] = list.labels[index];
      }
      ready.batch = {x, y};
    } catch (...) {
      ready.error = std::current_exception();
    }
    return ready;
  }

  // Lets the workers finish the batch they are building, then joins them.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    consumed_.notify_all();
    for (std::thread& t : workers_)
      if (t.joinable()) t.join();
  }

  const Pass pass_;
  const int64_t batches_;
  int64_t capacity_ = 1;
  std::mutex mutex_;
  std::condition_variable produced_, consumed_;
  int64_t claimed_ = 0, delivered_ = 0;  // guarded by mutex_
  std::map<int64_t, Ready> ready_;       // guarded by mutex_
  bool stopping_ = false;                // guarded by mutex_
  std::exception_ptr error_;             // consumer side only
  std::vector<std::thread> workers_;
};

// 0..n-1 shuffled by Fisher-Yates from `seed`.
std::vector<int64_t> shuffled(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  detail::SplitMix64 rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

class FolderSource final : public BatchSource {
 public:
  FolderSource(std::shared_ptr<const ImageFolder> folder, const torch::Device& device)
      : folder_(std::move(folder)), device_(device) {}

  int64_t train_size() const override { return folder_->train.size(); }
  int64_t test_size() const override { return folder_->val.size(); }

  std::unique_ptr<BatchStream> train_epoch(int epoch, uint64_t seed, int64_t batch_size, bool augment) override {
    const uint64_t epoch_seed = detail::mix_seed(seed, static_cast<uint64_t>(epoch) + 1);
    return start(true, shuffled(train_size(), detail::mix_seed(epoch_seed, kOrderStream)), augment, epoch_seed,
                 batch_size);
  }

  std::unique_ptr<BatchStream> test_pass(int64_t batch_size) override {
    std::vector<int64_t> order(test_size());
    std::iota(order.begin(), order.end(), 0);
    return start(false, std::move(order), false, 0, batch_size);
  }

 private:
  std::unique_ptr<BatchStream> start(bool train_split, std::vector<int64_t> order, bool augment, uint64_t epoch_seed,
                                     int64_t batch_size) {
    Pass pass{folder_, train_split, std::move(order), folder_->transform, epoch_seed, batch_size, device_};
    pass.transform.augment = augment;
    return std::make_unique<ImageBatches>(std::move(pass));
  }

  std::shared_ptr<const ImageFolder> folder_;
  torch::Device device_;
};

}  // namespace

int64_t image_loader_bytes(const ImageFolder& folder, int64_t batch_size) {
  const int64_t s = folder.transform.size;
  const int64_t sample = folder.channels * s * s * int64_t{sizeof(float)} + int64_t{sizeof(int64_t)};
  return (std::max(folder.loader_threads, 1) + kExtraInFlight) * batch_size * sample;
}

std::unique_ptr<BatchSource> image_folder_source(std::shared_ptr<const ImageFolder> folder, const torch::Device& device) {
  return std::make_unique<FolderSource>(std::move(folder), device);
}

}  // namespace nnmass

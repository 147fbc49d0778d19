// CIFAR-10/100 binary readers and normalisation (method spec §4.2).
#include "nnmass/data/cifar.h"

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

}  // namespace

CifarRecords read_cifar(const std::vector<std::string>& paths, CifarKind kind) {
  const int64_t label_bytes = kind == CifarKind::kCifar10 ? 1 : 2;
  const int64_t record = label_bytes + kPixels;
  const int64_t classes = kind == CifarKind::kCifar10 ? 10 : 100;
  std::vector<torch::Tensor> images, labels;
  for (const std::string& path : paths) {
    const std::string bytes = read_text_file(path);
    if (bytes.empty() || bytes.size() % record != 0)
      throw IoError(path + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                    std::to_string(record) + "-byte CIFAR-" + std::to_string(classes) +
                    " records; the file is truncated or of the other CIFAR version");
    const int64_t n = static_cast<int64_t>(bytes.size()) / record;
    auto raw = torch::from_blob(const_cast<char*>(bytes.data()), {n, record}, torch::kUInt8).clone();
    torch::Tensor label = raw.select(1, label_bytes - 1).to(torch::kInt64);  // fine label last
    if (label.max().item<int64_t>() >= classes)
      throw IoError(path + ": label " + std::to_string(label.max().item<int64_t>()) +
                    " out of range for CIFAR-" + std::to_string(classes));
    images.push_back(raw.narrow(1, label_bytes, kPixels).reshape({n, 3, 32, 32}));
    labels.push_back(label);
  }
  return {torch::cat(images), torch::cat(labels)};
}

torch::Tensor normalize_cifar(const torch::Tensor& images, CifarKind kind) {
  // Per-channel mean and std of the official code (spec §4.2).
  const auto mean = kind == CifarKind::kCifar10 ? std::vector<float>{0.4914f, 0.4822f, 0.4465f}
                                                : std::vector<float>{0.5071f, 0.4866f, 0.4409f};
  const auto stdev = kind == CifarKind::kCifar10 ? std::vector<float>{0.2023f, 0.1994f, 0.2010f}
                                                 : std::vector<float>{0.2009f, 0.1984f, 0.2023f};
  const torch::Tensor m = torch::tensor(mean).view({1, 3, 1, 1});
  const torch::Tensor s = torch::tensor(stdev).view({1, 3, 1, 1});
  return (images.to(torch::kFloat32) / 255.0 - m) / s;
}

}  // namespace nnmass

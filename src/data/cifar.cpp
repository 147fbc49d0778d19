// CIFAR-10/100 batches as tensors (over the torch-free cifar_format) and their normalisation
// (method spec §4.2).
#include "nnmass/data/cifar.h"

namespace nnmass {

CifarRecords read_cifar(const std::vector<std::string>& paths, CifarKind kind) {
  std::vector<torch::Tensor> images, labels;
  for (const std::string& path : paths) {
    CifarRaw raw = read_cifar_file(path, kind);
    const int64_t n = raw.size();
    images.push_back(torch::from_blob(raw.pixels.data(), {n, 3, 32, 32}, torch::kUInt8).clone());
    labels.push_back(torch::from_blob(raw.labels.data(), {n}, torch::kUInt8).to(torch::kInt64));
  }
  return {torch::cat(images), torch::cat(labels)};
}

void cifar_normalisation(CifarKind kind, std::vector<float>* mean, std::vector<float>* stdev) {
  *mean = kind == CifarKind::kCifar10 ? std::vector<float>{0.4914f, 0.4822f, 0.4465f}
                                      : std::vector<float>{0.5071f, 0.4866f, 0.4409f};
  *stdev = kind == CifarKind::kCifar10 ? std::vector<float>{0.2023f, 0.1994f, 0.2010f}
                                       : std::vector<float>{0.2009f, 0.1984f, 0.2023f};
}

}  // namespace nnmass

// Finding and loading a data set: Fashion-MNIST by default, an IDX or CIFAR folder, or a
// synthetic set; plus the batch augmentation used for CIFAR.
#include "nnmass/data/dataset.h"

#include <filesystem>

#include "core/rng.h"
#include "nnmass/data/cifar.h"
#include "nnmass/data/idx.h"
#include "nnmass/data/synthetic.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

// "name" or "name.gz" in dir, or "" if neither exists.
std::string find_file(const fs::path& dir, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz", name + "-ubyte", name + "-ubyte.gz"})
    if (fs::is_regular_file(dir / candidate)) return (dir / candidate).string();
  return "";
}

Dataset idx_pair(const fs::path& dir, const std::string& prefix) {
  const std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  if (images_path.empty() || labels_path.empty())
    throw IoError(dir.string() + ": missing " + prefix + "-images-idx3-ubyte[.gz] or " + prefix +
                  "-labels-idx1-ubyte[.gz]; an MNIST-format folder holds the four IDX files");
  const torch::Tensor images = read_idx(images_path);
  const torch::Tensor labels = read_idx(labels_path);
  if (images.dim() != 3 || labels.dim() != 1)
    throw IoError(images_path + ": expected images [N, H, W] and labels [N], got " +
                  std::to_string(images.dim()) + " and " + std::to_string(labels.dim()) + " dimensions");
  if (images.size(0) != labels.size(0))
    throw IoError(images_path + ": " + std::to_string(images.size(0)) + " images but " +
                  std::to_string(labels.size(0)) + " labels in " + labels_path);
  // ToTensor() of the official code: [0, 1], no normalisation.
  return {images.unsqueeze(1).to(torch::kFloat32).div_(255.0), labels.to(torch::kInt64)};
}

// An empty data set shaped like `like` (for a split the caller does not need).
Dataset empty_like(const Dataset& like) {
  std::vector<int64_t> shape = like.inputs.sizes().vec();
  shape[0] = 0;
  return {torch::empty(shape), torch::empty({0}, torch::kInt64)};
}

DataSplit load_idx(const fs::path& dir, const std::string& name, bool need_train) {
  DataSplit split;
  split.name = name;
  split.test = idx_pair(dir, "t10k");
  split.train = need_train ? idx_pair(dir, "train") : empty_like(split.test);
  int64_t max_label = split.test.labels.max().item<int64_t>();
  if (need_train) max_label = std::max(max_label, split.train.labels.max().item<int64_t>());
  split.classes = 1 + max_label;
  split.shape = split.test.inputs.sizes().slice(1).vec();
  if (split.train.inputs.sizes().slice(1).vec() != split.shape)
    throw IoError(dir.string() + ": train and test images differ in size");
  return split;
}

DataSplit load_cifar(const fs::path& dir, CifarKind kind) {
  std::vector<std::string> train, test;
  if (kind == CifarKind::kCifar10) {
    for (int k = 1; k <= 5; ++k) train.push_back((dir / ("data_batch_" + std::to_string(k) + ".bin")).string());
    test.push_back((dir / "test_batch.bin").string());
  } else {
    train.push_back((dir / "train.bin").string());
    test.push_back((dir / "test.bin").string());
  }
  for (const auto& p : train)
    if (!fs::is_regular_file(p)) throw IoError("missing " + p + "; a CIFAR-10 folder holds data_batch_1..5.bin and test_batch.bin");
  for (const auto& p : test)
    if (!fs::is_regular_file(p)) throw IoError("missing " + p);
  const CifarRecords tr = read_cifar(train, kind), te = read_cifar(test, kind);
  DataSplit split;
  split.name = kind == CifarKind::kCifar10 ? "cifar10" : "cifar100";
  split.train = {normalize_cifar(tr.images, kind), tr.labels};
  split.test = {normalize_cifar(te.images, kind), te.labels};
  split.classes = kind == CifarKind::kCifar10 ? 10 : 100;
  split.shape = {3, 32, 32};
  split.augment_crop_flip = true;
  return split;
}

DataSplit load_synthetic(const DataOptions& o) {
  DataSplit split;
  split.name = o.source;
  const SyntheticSet train = make_synthetic(o.source, kSyntheticTrainPerBin, o.num_seg, detail::mix_seed(o.seed, 0));
  const SyntheticSet test = make_synthetic(o.source, kSyntheticTestPerBin, o.num_seg, detail::mix_seed(o.seed, 1));
  split.train = {train.points, train.labels};
  split.test = {test.points, test.labels};
  split.classes = 2;
  split.shape = {2};
  return split;
}

Dataset take_first(const Dataset& d, int64_t limit) {
  if (limit <= 0 || limit >= d.size()) return d;
  return {d.inputs.narrow(0, 0, limit).clone(), d.labels.narrow(0, 0, limit).clone()};
}

}  // namespace

DataSplit load_data(const DataOptions& o) {
  if (o.limit_train < 0 || o.limit_test < 0) throw SpecError("sample limits must be zero (all) or positive");
  DataSplit split;
  if (o.source == "linear" || o.source == "circle") {
    split = load_synthetic(o);
  } else {
    const fs::path dir = o.source.empty() ? fs::path(kFashionMnistDir) : fs::path(o.source);
    if (!fs::is_directory(dir))
      throw IoError("data folder " + dir.string() + " does not exist" +
                    (o.source.empty() ? "; install Debian's dataset-fashion-mnist (scripts/install-deps.sh) or give --data"
                                      : "; give a folder with MNIST-format IDX files or CIFAR binary files, or linear/circle"));
    if (fs::is_regular_file(dir / "data_batch_1.bin") || fs::is_regular_file(dir / "test_batch.bin"))
      split = load_cifar(dir, CifarKind::kCifar10);
    else if (fs::is_regular_file(dir / "train.bin"))
      split = load_cifar(dir, CifarKind::kCifar100);
    else if (!find_file(dir, "train-images-idx3-ubyte").empty())
      split = load_idx(dir, o.source.empty() ? "fashion-mnist" : dir.filename().string(), o.need_train);
    else
      throw IoError(dir.string() + ": no data set found; expected train-images-idx3-ubyte[.gz] and its three "
                    "companions (MNIST format), data_batch_1..5.bin + test_batch.bin (CIFAR-10) or "
                    "train.bin + test.bin (CIFAR-100)");
  }
  split.train = take_first(split.train, o.limit_train);
  split.test = take_first(split.test, o.limit_test);
  return split;
}

torch::Tensor augment_crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& generator) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  const torch::Tensor padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0);
  const torch::Tensor offsets = torch::randint(0, 2 * pad + 1, {b, 2}, generator, torch::kInt64);
  const auto off = offsets.accessor<int64_t, 2>();
  std::vector<torch::Tensor> crops;
  crops.reserve(b);
  for (int64_t i = 0; i < b; ++i)
    crops.push_back(padded[i].narrow(1, off[i][0], h).narrow(2, off[i][1], w));
  const torch::Tensor cropped = torch::stack(crops);
  const torch::Tensor flip = torch::rand({b}, generator).lt(0.5).view({b, 1, 1, 1});
  return torch::where(flip, cropped.flip({3}), cropped);
}

}  // namespace nnmass

// Finding and loading a data set: Fashion-MNIST by default, an IDX or CIFAR folder, or a
// synthetic set (an image folder is only listed); plus the batch augmentation used for CIFAR.
#include "nnmass/data/dataset.h"

#include <filesystem>

#include "core/rng.h"
#include "nnmass/data/cifar.h"
#include "nnmass/data/image_folder.h"
#include "nnmass/data/idx.h"
#include "nnmass/data/idx_format.h"
#include "nnmass/data/synthetic.h"
#include "nnmass/error.h"
#include "nnmass/memory.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

// "name" or "name.gz" in dir, or "" if neither exists.
std::string find_file(const fs::path& dir, const std::string& name) {
  for (const std::string& candidate : {name, name + ".gz", name + "-ubyte", name + "-ubyte.gz"})
    if (fs::is_regular_file(dir / candidate)) return (dir / candidate).string();
  return "";
}

// The images and labels files of one MNIST-format split ("train" or "t10k").
struct IdxFiles {
  std::string images, labels;
};

IdxFiles find_idx_files(const fs::path& dir, const std::string& prefix) {
  IdxFiles f{find_file(dir, prefix + "-images-idx3-ubyte"), find_file(dir, prefix + "-labels-idx1-ubyte")};
  if (f.images.empty() || f.labels.empty())
    throw IoError(dir.string() + ": missing " + prefix + "-images-idx3-ubyte[.gz] or " + prefix +
                  "-labels-idx1-ubyte[.gz]; an MNIST-format folder holds the four IDX files");
  return f;
}

// The labels [N] of an IDX label file, as int64.
torch::Tensor read_labels(const std::string& path) {
  const torch::Tensor labels = read_idx(path);
  if (labels.dim() != 1)
    throw IoError(path + ": expected labels [N], got " + std::to_string(labels.dim()) + " dimensions");
  return labels.to(torch::kInt64);
}

Dataset idx_pair(const IdxFiles& files) {
  const torch::Tensor images = read_idx(files.images);
  const torch::Tensor labels = read_labels(files.labels);
  if (images.dim() != 3)
    throw IoError(files.images + ": expected images [N, H, W], got " + std::to_string(images.dim()) + " dimensions");
  if (images.size(0) != labels.size(0))
    throw IoError(files.images + ": " + std::to_string(images.size(0)) + " images but " +
                  std::to_string(labels.size(0)) + " labels in " + files.labels);
  // Held as pixels; to_input gives ToTensor()'s [0, 1] of the official code, no normalisation.
  return {images.unsqueeze(1).contiguous(), labels, {}, {}};
}

// The class count of an MNIST-format folder: the training labels declare it (1 + their largest
// label), and the test labels must span the same classes. IoError naming the test file, the
// offending label and the allowed range otherwise.
int64_t agreed_classes(const torch::Tensor& train, const std::string& train_path, const torch::Tensor& test,
                       const std::string& test_path) {
  const int64_t classes = 1 + train.max().item<int64_t>();
  const int64_t top = test.max().item<int64_t>();
  const std::string declared = std::to_string(classes) + " classes, set by the training labels in " + train_path;
  if (top >= classes)
    throw IoError(test_path + ": label " + std::to_string(top) + " is out of range 0.." + std::to_string(classes - 1) +
                  " (" + declared + "); the train and test label files must agree on the class count");
  if (top < classes - 1)
    throw IoError(test_path + ": labels span 0.." + std::to_string(top) + " but " + std::to_string(classes) +
                  " classes are declared (" + declared + "); the train and test label files must agree on the "
                  "class count");
  return classes;
}

// An empty data set shaped like `like` (for a split the caller does not need).
Dataset empty_like(const Dataset& like) {
  std::vector<int64_t> shape = like.inputs.sizes().vec();
  shape[0] = 0;
  return {torch::empty(shape, like.inputs.options()), torch::empty({0}, torch::kInt64), like.mean, like.stdev};
}

// Bytes an image file costs in memory once read: its uint8 data and a transient copy while reading.
constexpr int64_t kBytesPerStoredByte = 1 + 1;

// Memory preflight of an MNIST-format folder, from the IDX headers alone.
void check_idx_memory(const IdxFiles& train, const IdxFiles& test, bool need_train) {
  int64_t bytes = 0;
  for (const std::string& path : need_train ? std::vector<std::string>{train.images, test.images}
                                            : std::vector<std::string>{test.images}) {
    int64_t elements = 1;
    for (int64_t d : idx_header(path)) elements = d > 0 && elements > (int64_t{1} << 50) / d ? (int64_t{1} << 50) : elements * d;
    bytes += elements * kBytesPerStoredByte;
  }
  check_memory(bytes, "reading " + (need_train ? train.images + " and " : std::string()) + test.images);
}

DataSplit load_idx(const fs::path& dir, const std::string& name, bool need_train) {
  const IdxFiles train = find_idx_files(dir, "train"), test = find_idx_files(dir, "t10k");
  check_idx_memory(train, test, need_train);
  DataSplit split;
  split.name = name;
  split.test = idx_pair(test);
  split.train = need_train ? idx_pair(train) : empty_like(split.test);
  // The training labels declare the classes even when only the test split is wanted.
  const torch::Tensor train_labels = need_train ? split.train.labels : read_labels(train.labels);
  split.classes = agreed_classes(train_labels, train.labels, split.test.labels, test.labels);
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
  int64_t bytes = 0;
  for (const auto& list : {train, test})
    for (const auto& p : list) bytes += static_cast<int64_t>(fs::file_size(p)) * kBytesPerStoredByte;
  check_memory(bytes, "reading the CIFAR files in " + dir.string());
  const CifarRecords tr = read_cifar(train, kind), te = read_cifar(test, kind);
  DataSplit split;
  split.name = kind == CifarKind::kCifar10 ? "cifar10" : "cifar100";
  split.train = {tr.images, tr.labels, {}, {}};
  split.test = {te.images, te.labels, {}, {}};
  cifar_normalisation(kind, &split.train.mean, &split.train.stdev);
  split.test.mean = split.train.mean;
  split.test.stdev = split.train.stdev;
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
  split.train = {train.points, train.labels, {}, {}};
  split.test = {test.points, test.labels, {}, {}};
  split.classes = 2;
  split.shape = {2};
  return split;
}

Dataset take_first(const Dataset& d, int64_t limit) {
  if (limit <= 0 || limit >= d.size()) return d;
  return {d.inputs.narrow(0, 0, limit).clone(), d.labels.narrow(0, 0, limit).clone(), d.mean, d.stdev};
}

void take_first(ImageList* list, int64_t limit) {
  if (limit <= 0 || limit >= list->size()) return;
  list->files.resize(limit);
  list->labels.resize(limit);
}

// An image folder, listed and checked; its samples stay on disk (train and test are empty).
DataSplit load_image_folder(const DataOptions& o, const fs::path& dir) {
  if (!o.stream_images)
    throw SpecError(dir.string() + " is an image folder (train/ and val/ class folders); only nnmass train streams "
                    "image folders, this command reads its data into memory (IDX, CIFAR or linear/circle)");
  ImageFolder folder = scan_image_folder(dir.string());
  set_image_options(&folder, o.image_size, o.resize, o.mean, o.stdev, o.loader_threads);
  take_first(&folder.train, o.limit_train);
  take_first(&folder.val, o.limit_test);
  DataSplit split;
  const fs::path normal = dir.lexically_normal();
  split.name = (normal.has_filename() ? normal.filename() : normal.parent_path().filename()).string();
  split.classes = static_cast<int64_t>(folder.classes.size());
  split.shape = {folder.channels, folder.transform.size, folder.transform.size};
  split.augment_crop_flip = true;
  const Dataset empty{torch::empty({0, folder.channels, folder.transform.size, folder.transform.size}, torch::kUInt8),
                      torch::empty({0}, torch::kInt64), folder.transform.mean, folder.transform.stdev};
  split.train = split.test = empty;
  split.image_folder = std::make_shared<const ImageFolder>(std::move(folder));
  return split;
}

// The image-folder options are refused on other data, rather than ignored.
void check_no_image_options(const DataOptions& o, const std::string& data) {
  const std::pair<const char*, bool> given[] = {{"--image-size", o.image_size != 0}, {"--resize", o.resize != 0},
                                                {"--loader-threads", o.loader_threads != 0},
                                                {"--mean", !o.mean.empty()}, {"--std", !o.stdev.empty()}};
  for (const auto& [flag, set] : given)
    if (set)
      throw SpecError(std::string(flag) + " applies to image folders (--data ROOT holding train/<class>/ and "
                      "val/<class>/), not " + data);
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
    else if (is_image_folder(dir.string()))
      return load_image_folder(o, dir);
    else
      throw IoError(dir.string() + ": no data set found; expected train-images-idx3-ubyte[.gz] and its three "
                    "companions (MNIST format), data_batch_1..5.bin + test_batch.bin (CIFAR-10), "
                    "train.bin + test.bin (CIFAR-100), or train/<class>/ and val/<class>/ image folders");
  }
  check_no_image_options(o, split.name);
  split.train = take_first(split.train, o.limit_train);
  split.test = take_first(split.test, o.limit_test);
  return split;
}

torch::Tensor Dataset::to_input(const torch::Tensor& rows) const {
  if (rows.scalar_type() != torch::kUInt8) return rows;
  const torch::Tensor x = rows.to(torch::kFloat32);
  if (mean.empty()) return x.div_(255.0);
  const auto per_channel = [&](const std::vector<float>& v) {
    return torch::tensor(v).view({1, static_cast<int64_t>(v.size()), 1, 1}).to(rows.device());
  };
  return (x / 255.0 - per_channel(mean)) / per_channel(stdev);
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

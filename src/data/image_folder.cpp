// Listing and checking an ImageNet-layout image folder, and its image options; see image_folder.h.
#include "nnmass/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <thread>
#include <utility>

#include "nnmass/error.h"
#include "nnmass/options.h"

namespace nnmass {
namespace {

namespace fs = std::filesystem;

// torchvision's transforms.Normalize values for ImageNet (RGB).
const std::vector<float> kImageNetMean = {0.485f, 0.456f, 0.406f};
const std::vector<float> kImageNetStd = {0.229f, 0.224f, 0.225f};
constexpr int kDefaultImageSize = 224;                          // ImageNet's training crop
constexpr int kResizeNumerator = 256, kResizeDenominator = 224;  // Resize(256) + CenterCrop(224)

bool is_image_name(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Sorted names of the sub-folders of `dir` (symbolic links followed, as os.scandir's is_dir).
std::vector<std::string> class_folders(const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) names.push_back(it->path().filename().string());
  if (ec) throw IoError(dir.string() + ": cannot list the folder (" + ec.message() + ")");
  std::sort(names.begin(), names.end());
  return names;
}

// Appends the images under `dir/cls` to `list`, in torchvision's order: os.walk's folders sorted
// by path, then file names sorted within each folder.
void list_class(const fs::path& split_dir, const std::string& cls, int64_t label, ImageList* list) {
  const fs::path class_dir = split_dir / cls;
  std::vector<std::pair<std::string, std::string>> found;  // (folder relative to split_dir, file name)
  std::error_code ec;
  for (fs::recursive_directory_iterator it(class_dir, fs::directory_options::follow_directory_symlink, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_image_name(it->path())) continue;
    found.emplace_back(it->path().parent_path().lexically_relative(split_dir).string(), it->path().filename().string());
  }
  if (ec) throw IoError(class_dir.string() + ": cannot list the folder (" + ec.message() + ")");
  if (found.empty())
    throw IoError(class_dir.string() + ": no .jpg, .jpeg or .png file in this class folder; every class of " +
                  split_dir.string() + " needs at least one image");
  std::sort(found.begin(), found.end());
  for (auto& [folder, name] : found) {
    list->files.push_back(folder + "/" + name);
    list->labels.push_back(label);
  }
}

ImageList list_split(const fs::path& split_dir, const std::vector<std::string>& classes) {
  ImageList list;
  for (size_t label = 0; label < classes.size(); ++label) list_class(split_dir, classes[label], label, &list);
  return list;
}

// The first class in one list and not the other, for the error message.
std::string first_difference(const std::vector<std::string>& train, const std::vector<std::string>& val) {
  for (const std::string& c : train)
    if (!std::binary_search(val.begin(), val.end(), c)) return "\"" + c + "\" is in train/ but not in val/";
  for (const std::string& c : val)
    if (!std::binary_search(train.begin(), train.end(), c)) return "\"" + c + "\" is in val/ but not in train/";
  return "";
}

fs::path split_folder(const fs::path& root, const char* split) {
  const fs::path dir = root / split;
  if (!fs::is_directory(dir))
    throw IoError(root.string() + ": no " + split + "/ folder; an image folder holds train/<class>/*.jpg|*.png and "
                  "val/<class>/*.jpg|*.png");
  return dir;
}

// 1 if the first training image of every class is stored as grey, else 3.
int folder_channels(const ImageFolder& folder) {
  for (size_t i = 0; i < folder.train.files.size(); ++i) {
    if (i > 0 && folder.train.labels[i] == folder.train.labels[i - 1]) continue;
    const std::string path = folder.train_path(static_cast<int64_t>(i));
    const std::vector<uint8_t> bytes = read_image_file(path);
    if (read_image_header(bytes.data(), bytes.size(), path).channels == 3) return 3;
  }
  return 1;
}

// One value, or one per channel.
std::vector<float> per_channel_values(const std::string& text, const char* flag, int channels, double lo,
                                      const std::vector<float>& rgb_default, float grey_default) {
  if (text.empty()) return channels == 3 ? rgb_default : std::vector<float>{grey_default};
  const std::vector<double> values = parse_real_list(text, flag, lo, 1e6);
  if (values.size() != 1 && values.size() != static_cast<size_t>(channels))
    throw SpecError(std::string(flag) + " takes 1 or " + std::to_string(channels) + " comma-separated values (the images have " +
                    std::to_string(channels) + " channel" + (channels == 1 ? "" : "s") + "), got " +
                    std::to_string(values.size()));
  return std::vector<float>(values.begin(), values.end());
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : ",") + std::to_string(d);
  return text;
}

}  // namespace

bool is_image_folder(const std::string& root) {
  std::error_code ec;
  return fs::is_directory(fs::path(root) / "train", ec) || fs::is_directory(fs::path(root) / "val", ec);
}

ImageFolder scan_image_folder(const std::string& root) {
  const fs::path train_dir = split_folder(root, "train"), val_dir = split_folder(root, "val");
  ImageFolder folder;
  folder.root = root;
  folder.classes = class_folders(train_dir);
  if (folder.classes.empty())
    throw IoError(train_dir.string() + ": no class folders; an image folder holds train/<class>/*.jpg|*.png");
  const std::vector<std::string> val_classes = class_folders(val_dir);
  if (val_classes != folder.classes)
    throw IoError(val_dir.string() + ": its class folders differ from train/'s (" + std::to_string(val_classes.size()) +
                  " vs " + std::to_string(folder.classes.size()) + "; " + first_difference(folder.classes, val_classes) +
                  "); val/ must hold the same classes as train/");
  folder.train = list_split(train_dir, folder.classes);
  folder.val = list_split(val_dir, folder.classes);
  folder.channels = folder_channels(folder);
  return folder;
}

void set_image_options(ImageFolder* f, int size, int resize, const std::string& mean, const std::string& stdev,
                       int loader_threads) {
  if (size == 0) size = kDefaultImageSize;
  if (size < 1) throw SpecError("--image-size must be at least 1, got " + std::to_string(size));
  if (resize == 0) resize = static_cast<int>(int64_t{size} * kResizeNumerator / kResizeDenominator);
  if (resize < size)
    throw SpecError("--resize " + std::to_string(resize) + " is smaller than --image-size " + std::to_string(size) +
                    "; the centre crop is taken from the resized image, so give --resize " + std::to_string(size) +
                    " or more");
  f->transform.size = size;
  f->transform.resize = resize;
  f->transform.mean = per_channel_values(mean, "--mean", f->channels, -1e6, kImageNetMean, 0.0f);
  f->transform.stdev = per_channel_values(stdev, "--std", f->channels, 1e-6, kImageNetStd, 1.0f);
  const unsigned cores = std::thread::hardware_concurrency();
  f->loader_threads = loader_threads > 0 ? loader_threads : static_cast<int>(std::max(1u, cores));
}

void check_image_input(const ImageFolder& f, const std::vector<int64_t>& input) {
  const int64_t size = f.transform.size;
  const std::vector<int64_t> shape = {f.channels, size, size};
  if (input == shape || (input.size() == 1 && input[0] == f.channels * size * size)) return;
  const std::string from = f.root + " gives " + shape_text(shape) + " (--image-size " + std::to_string(size) + ", " +
                           (f.channels == 3 ? "RGB" : "grey") + " images)";
  if (input.size() == 3 && input[0] != f.channels)
    throw SpecError("the architecture takes " + std::to_string(input[0]) + "-channel inputs but " + from +
                    "; use an architecture with --input " + shape_text(shape));
  if (input.size() == 3 && input[1] == input[2])
    throw SpecError("the architecture takes inputs " + shape_text(input) + " but " + from + "; use --image-size " +
                    std::to_string(input[1]));
  throw SpecError("the architecture takes inputs " + shape_text(input) + " but " + from + "; use --input " +
                  shape_text(shape) + " or another --image-size");
}

}  // namespace nnmass

// CIFAR-10/100 binary records without libtorch: size and label checks, labels and pixels split.
#include "nnmass/data/cifar_format.h"

#include <algorithm>

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

constexpr int64_t kCifar100Coarse = 20;  // CIFAR-100 superclasses

std::string set_name(CifarKind kind) { return "CIFAR-" + std::to_string(cifar_classes(kind)); }

// IoError if label byte `value` of record `index` is not below `limit`.
void check_label(const std::string& what, int64_t index, const char* which, int value, int64_t limit,
                 CifarKind kind) {
  if (value < limit) return;
  throw IoError(what + ": record " + std::to_string(index) + " has " + which + " " + std::to_string(value) +
                ", out of range for " + set_name(kind) + " (0.." + std::to_string(limit - 1) +
                "); the file is damaged or of the other CIFAR version");
}

}  // namespace

int64_t cifar_record_bytes(CifarKind kind) { return (kind == CifarKind::kCifar10 ? 1 : 2) + kCifarPixels; }

int64_t cifar_classes(CifarKind kind) { return kind == CifarKind::kCifar10 ? 10 : 100; }

CifarRaw parse_cifar(const uint8_t* data, size_t size, CifarKind kind, const std::string& what) {
  const int64_t record = cifar_record_bytes(kind);
  const int64_t label_bytes = record - kCifarPixels;
  if (size == 0 || size % static_cast<size_t>(record) != 0)
    throw IoError(what + ": " + std::to_string(size) + " bytes is not a whole number of " + std::to_string(record) +
                  "-byte " + set_name(kind) + " records; the file is truncated or of the other CIFAR version");
  const int64_t n = static_cast<int64_t>(size) / record;
  CifarRaw raw;
  raw.labels.resize(static_cast<size_t>(n));
  raw.pixels.resize(static_cast<size_t>(n * kCifarPixels));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = data + i * record;
    if (kind == CifarKind::kCifar100) check_label(what, i, "coarse label", r[0], kCifar100Coarse, kind);
    const uint8_t label = r[label_bytes - 1];  // the fine label is the last label byte
    check_label(what, i, "label", label, cifar_classes(kind), kind);
    raw.labels[i] = label;
    std::copy(r + label_bytes, r + record, raw.pixels.begin() + i * kCifarPixels);
  }
  return raw;
}

CifarRaw read_cifar_file(const std::string& path, CifarKind kind) {
  const std::string bytes = read_text_file(path);
  return parse_cifar(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kind, path);
}

}  // namespace nnmass

// CIFAR-10 / CIFAR-100 binary version (Krizhevsky 2009) without libtorch: records of 1 label byte
// (CIFAR-10) or 2 (coarse, fine: CIFAR-100) followed by 3072 pixel bytes (3 x 32 x 32,
// channel-major). Checks the record count and every label; read_cifar (cifar.h) wraps the raw
// bytes in tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnmass {

enum class CifarKind { kCifar10, kCifar100 };

constexpr int64_t kCifarPixels = 3 * 32 * 32;  // bytes of one image

// Bytes of one record: label byte(s) + pixels.
int64_t cifar_record_bytes(CifarKind kind);
// Classes of the (fine) label: 10 or 100.
int64_t cifar_classes(CifarKind kind);

// The records of one batch file, label and pixel bytes apart.
struct CifarRaw {
  std::vector<uint8_t> labels;  // [N]; CIFAR-100: the fine label
  std::vector<uint8_t> pixels;  // [N, 3, 32, 32], row-major
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Parses a batch held in memory; `what` names it in errors. IoError if it is empty, not a whole
// number of records, or holds a label out of range (CIFAR-100: coarse 0..19, fine 0..99).
CifarRaw parse_cifar(const uint8_t* data, size_t size, CifarKind kind, const std::string& what);

// Reads and parses one batch file; IoError naming the file.
CifarRaw read_cifar_file(const std::string& path, CifarKind kind);

}  // namespace nnmass

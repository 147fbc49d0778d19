// Fuzzes the CIFAR binary reader (parse_cifar). The first byte chooses the version (even:
// CIFAR-10, odd: CIFAR-100); the rest is a batch file. Records that read must split into one label
// and 3072 pixels each, labels in range, pixels copied unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_support.h"
#include "nnmass/data/cifar_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const nnmass::CifarKind kind = data[0] % 2 == 0 ? nnmass::CifarKind::kCifar10 : nnmass::CifarKind::kCifar100;
  nnmass::fuzz::run_expecting_errors_only([&] {
    const nnmass::CifarRaw raw = nnmass::parse_cifar(data + 1, size - 1, kind, "fuzz.bin");
    const int64_t record = nnmass::cifar_record_bytes(kind);
    nnmass::fuzz::require(raw.size() * record == static_cast<int64_t>(size - 1) &&
                              raw.pixels.size() == raw.labels.size() * nnmass::kCifarPixels,
                          "CIFAR record count does not match the size");
    for (int64_t i = 0; i < raw.size(); ++i) {
      const uint8_t* r = data + 1 + i * record;
      nnmass::fuzz::require(raw.labels[i] == r[record - nnmass::kCifarPixels - 1] &&
                                raw.labels[i] < nnmass::cifar_classes(kind) &&
                                std::memcmp(raw.pixels.data() + i * nnmass::kCifarPixels,
                                            r + record - nnmass::kCifarPixels, nnmass::kCifarPixels) == 0,
                            "CIFAR record " + std::to_string(i) + " read wrong");
    }
  });
  return 0;
}

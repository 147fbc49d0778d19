// Fuzzes the IDX reader (MNIST format) on file images in memory, plain or gzip (parse_idx, the
// same checks read_idx_file makes). A file that reads must hold exactly product(shape) bytes and
// write back (idx_file_bytes) to a plain file that reads the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "nnmass/data/idx_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnmass::fuzz::run_expecting_errors_only([&] {
    const nnmass::IdxData d = nnmass::parse_idx(data, size, "fuzz.idx");
    int64_t n = 1;
    for (int64_t s : d.shape) n *= s;
    nnmass::fuzz::require(!d.shape.empty() && d.shape.size() <= 4 && static_cast<size_t>(n) == d.bytes.size(),
                          "IDX data size does not match its shape");
    const std::string plain = nnmass::idx_file_bytes(d.shape, d.bytes.data(), d.bytes.size());
    const nnmass::IdxData again =
        nnmass::parse_idx(reinterpret_cast<const uint8_t*>(plain.data()), plain.size(), "round trip");
    nnmass::fuzz::require(again.shape == d.shape && again.bytes == d.bytes, "IDX round trip differs");
  });
  return 0;
}

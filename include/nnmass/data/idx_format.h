// IDX files (the MNIST format; LeCun et al.) without libtorch: magic 0x0000 <type> <ndims>, ndims
// big-endian uint32 sizes, then the data. Only unsigned-byte data (type 0x08) is used by
// MNIST-like sets. Files may be plain or gzip (zlib). A header is checked against the data that
// actually exists before anything is allocated, so a damaged or hostile header cannot ask for
// gigabytes. Torch-free, so it can be fuzzed on its own; read_idx (idx.h) wraps it in a tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnmass {

// The contents of an IDX file: its shape and its bytes, row-major.
struct IdxData {
  std::vector<int64_t> shape;  // 1 to 4 sizes, each positive
  std::vector<uint8_t> bytes;  // product(shape) bytes
};

// The shape an IDX file's header declares, reading the header only (plain or gzip): cheap, for
// estimating memory before reading. IoError naming the file if the header is malformed.
std::vector<int64_t> idx_header(const std::string& path);

// Reads an unsigned-byte IDX file, plain or gzip. IoError (with the path) on a missing file, a
// wrong magic number or type, 0 or more than 4 dimensions, a zero size, a header that promises
// more or fewer bytes than the file holds, or a damaged gzip stream.
IdxData read_idx_file(const std::string& path);

// The same checks on an IDX file image held in memory (plain, or gzip when it starts with the
// gzip magic 1f 8b); `what` names the source in errors.
IdxData parse_idx(const uint8_t* data, size_t size, const std::string& what);

// The bytes of a plain IDX file holding `bytes` with shape `shape` (1 to 4 positive sizes whose
// product is bytes.size()); SpecError otherwise.
std::string idx_file_bytes(const std::vector<int64_t>& shape, const uint8_t* bytes, size_t size);

}  // namespace nnmass

// IDX files (the MNIST format; LeCun et al.): magic 0x0000 <type> <ndims>, ndims big-endian
// uint32 sizes, then the data. Only unsigned-byte data (type 0x08) is used by MNIST-like sets.
// Plain and gzip files are both read (zlib). The parsing itself is torch-free (idx_format.h).
#pragma once

#include <string>

#include <torch/torch.h>

namespace nnmass {

// Reads an unsigned-byte IDX file into a uint8 tensor of its shape. IoError (with the path) on a
// missing file, a wrong magic number or type, zero sizes, truncation or trailing bytes
// (read_idx_file's checks).
torch::Tensor read_idx(const std::string& path);

// Writes a uint8 tensor as a (plain) IDX file; used by tests and for exporting slices.
void write_idx(const std::string& path, const torch::Tensor& data);

}  // namespace nnmass

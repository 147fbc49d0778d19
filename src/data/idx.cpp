// IDX reading and writing as uint8 tensors: a thin layer over the torch-free idx_format, which
// does every check and names the file in its one-line errors.
#include "nnmass/data/idx.h"

#include <cstring>

#include "nnmass/data/idx_format.h"
#include "nnmass/file_io.h"

namespace nnmass {

torch::Tensor read_idx(const std::string& path) {
  const IdxData data = read_idx_file(path);
  torch::Tensor t = torch::empty(data.shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), data.bytes.data(), data.bytes.size());
  return t;
}

void write_idx(const std::string& path, const torch::Tensor& data) {
  TORCH_CHECK(data.scalar_type() == torch::kUInt8 && data.dim() >= 1 && data.dim() <= 4,
              "write_idx takes a uint8 tensor of 1 to 4 dimensions");
  const torch::Tensor c = data.contiguous();
  write_file_atomic(path, idx_file_bytes(c.sizes().vec(), c.data_ptr<uint8_t>(), static_cast<size_t>(c.numel())));
}

}  // namespace nnmass

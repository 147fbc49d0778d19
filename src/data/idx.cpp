// IDX reading (plain or gzip, through zlib's gzread, which passes plain files through) and
// writing. Every way a file can be wrong is a one-line IoError naming the file.
#include "nnmass/data/idx.h"

#include <zlib.h>

#include <array>
#include <cstdio>
#include <memory>

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr int64_t kMaxElements = int64_t{1} << 34;  // 16 GiB of bytes: far above any real set

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError(path + ": " + what);
}

// Reads exactly n bytes; false at a clean end of file, IoError on a damaged stream.
bool read_exact(gzFile f, void* out, int64_t n, const std::string& path) {
  auto* dst = static_cast<unsigned char*>(out);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n, 1 << 30));
    const int got = gzread(f, dst, chunk);
    if (got < 0) {
      int code = 0;
      fail(path, std::string("corrupt or truncated compressed data (") + gzerror(f, &code) + ")");
    }
    if (got == 0) {
      // gzread also returns 0 on a stream cut before its trailer (Z_BUF_ERROR): not a clean end.
      int code = 0;
      const char* message = gzerror(f, &code);
      if (code != Z_OK) fail(path, std::string("corrupt or truncated compressed data (") + message + ")");
      return false;
    }
    dst += got;
    n -= got;
  }
  return true;
}

uint32_t big_endian(const unsigned char* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  if (std::FILE* probe = std::fopen(path.c_str(), "rb")) {
    std::fclose(probe);
  } else {
    throw IoError("cannot read " + path + ": no such file or not readable");
  }
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) throw IoError("cannot read " + path);
  unsigned char magic[4];
  if (!read_exact(f.get(), magic, 4, path)) fail(path, "empty file, not an IDX file");
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, "not an IDX file (bad magic number); expected MNIST-format data");
  if (magic[2] != kUnsignedByte)
  {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", magic[2]);
    fail(path, std::string("IDX data type ") + hex + " is not unsigned byte (0x08)");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4) fail(path, "IDX file with " + std::to_string(ndims) + " dimensions");
  std::vector<int64_t> shape;
  int64_t elements = 1;
  for (int k = 0; k < ndims; ++k) {
    unsigned char b[4];
    if (!read_exact(f.get(), b, 4, path)) fail(path, "truncated in the header");
    const int64_t size = big_endian(b);
    if (size == 0) fail(path, "dimension " + std::to_string(k) + " has size 0");
    elements *= size;
    if (elements > kMaxElements) fail(path, "implausibly large IDX header");
    shape.push_back(size);
  }
  torch::Tensor data = torch::empty(shape, torch::kUInt8);
  if (!read_exact(f.get(), data.data_ptr<uint8_t>(), elements, path))
    fail(path, "truncated: the header promises " + std::to_string(elements) +
                   " bytes of data; re-download or re-extract the file");
  unsigned char extra;
  if (read_exact(f.get(), &extra, 1, path))
    fail(path, "has bytes after the " + std::to_string(elements) + " the header promises");
  return data;
}

void write_idx(const std::string& path, const torch::Tensor& data) {
  TORCH_CHECK(data.scalar_type() == torch::kUInt8 && data.dim() >= 1 && data.dim() <= 4,
              "write_idx takes a uint8 tensor of 1 to 4 dimensions");
  const torch::Tensor c = data.contiguous();
  std::string bytes = {0, 0, static_cast<char>(kUnsignedByte), static_cast<char>(c.dim())};
  for (int64_t size : c.sizes())
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((size >> shift) & 0xff));
  bytes.append(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), c.numel());
  write_file_atomic(path, bytes);
}

}  // namespace nnmass

// IDX parsing without libtorch, from a file (zlib's gzread, which passes plain files through) or
// from memory (plain, or gzip through zlib's inflate). A plain file's header must promise exactly
// the bytes that follow it, checked against the file size before anything is allocated; a gzip
// stream is read in growing chunks as data arrives, so a lying header cannot cause a huge
// allocation either. Every way a file can be wrong is a one-line IoError naming it.
#include "nnmass/data/idx_format.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr int64_t kMaxElements = int64_t{1} << 34;  // 16 GiB of bytes: far above any real set
constexpr int64_t kFirstChunk = int64_t{1} << 20;   // a gzip body is read 1 MiB first, then doubling

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError(path + ": " + what);
}

[[noreturn]] void fail_compressed(const std::string& path, const std::string& reason) {
  fail(path, "corrupt or truncated compressed data (" + reason + ")");
}

// A stream of bytes to parse.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes into out; fewer only at the end of the data. IoError on a damaged stream.
  virtual int64_t read(uint8_t* out, int64_t n) = 0;
  // The total size of an uncompressed source, or -1 for a gzip stream (size unknown).
  virtual int64_t plain_size() = 0;
};

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

// A file through gzread: gzip is decompressed, anything else is read as it is.
class GzFileSource : public ByteSource {
 public:
  explicit GzFileSource(const std::string& path) : path_(path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw IoError("cannot read " + path + ": it is a folder, not a file");
    if (std::FILE* probe = std::fopen(path.c_str(), "rb")) {
      std::fclose(probe);
    } else {
      throw IoError("cannot read " + path + ": no such file or not readable");
    }
    file_.reset(gzopen(path.c_str(), "rb"));
    if (!file_) throw IoError("cannot read " + path);
    gzbuffer(file_.get(), 1 << 18);
  }

  int64_t read(uint8_t* out, int64_t n) override {
    int64_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
      const int got = gzread(file_.get(), out + done, chunk);
      int code = Z_OK;
      const char* message = gzerror(file_.get(), &code);
      // gzread also returns 0 on a stream cut before its trailer (Z_BUF_ERROR): not a clean end.
      if (got < 0 || (got == 0 && code != Z_OK)) fail_compressed(path_, message);
      if (got == 0) break;
      done += got;
    }
    return done;
  }

  int64_t plain_size() override {
    if (gzdirect(file_.get()) != 1) return -1;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path_, ec)) return -1;
    const auto size = std::filesystem::file_size(path_, ec);
    return ec ? -1 : static_cast<int64_t>(size);
  }

 private:
  std::string path_;
  std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser> file_;
};

// Bytes in memory, used as they are.
class PlainMemorySource : public ByteSource {
 public:
  PlainMemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  int64_t read(uint8_t* out, int64_t n) override {
    const size_t take = std::min(static_cast<size_t>(n), size_ - at_);
    std::copy(data_ + at_, data_ + at_ + take, out);
    at_ += take;
    return static_cast<int64_t>(take);
  }
  int64_t plain_size() override { return static_cast<int64_t>(size_); }

 private:
  const uint8_t* data_;
  size_t size_, at_ = 0;
};

bool starts_gzip(const uint8_t* data, size_t size) { return size >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

// A gzip image in memory through inflate. Like gzread: concatenated members are read in turn,
// and bytes after the last member that do not start another one are ignored.
class GzipMemorySource : public ByteSource {
 public:
  GzipMemorySource(const uint8_t* data, size_t size, const std::string& what) : what_(what) {
    // windowBits 15 + 16: gzip only (this source is chosen for data starting with the gzip magic).
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) fail_compressed(what_, "cannot start zlib");
    stream_.next_in = const_cast<Bytef*>(data);
    stream_.avail_in = static_cast<uInt>(std::min<size_t>(size, UINT_MAX));
  }
  ~GzipMemorySource() override { inflateEnd(&stream_); }
  GzipMemorySource(const GzipMemorySource&) = delete;
  GzipMemorySource& operator=(const GzipMemorySource&) = delete;

  int64_t read(uint8_t* out, int64_t n) override {
    int64_t done = 0;
    while (done < n && !finished_) {
      const uInt room = static_cast<uInt>(std::min<int64_t>(n - done, 1 << 30));
      stream_.next_out = out + done;
      stream_.avail_out = room;
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      done += room - stream_.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail_compressed(what_, stream_.msg ? stream_.msg : "inflate error " + std::to_string(rc));
      } else if (stream_.avail_in == 0 && stream_.avail_out > 0) {
        fail_compressed(what_, "unexpected end of file");  // the stream ends before its trailer
      } else if (rc == Z_BUF_ERROR) {
        fail_compressed(what_, "inflate made no progress");
      }
    }
    return done;
  }
  int64_t plain_size() override { return -1; }

 private:
  void next_member() {
    if (starts_gzip(stream_.next_in, stream_.avail_in)) {
      if (inflateReset(&stream_) != Z_OK) fail_compressed(what_, "cannot restart zlib");
    } else {
      finished_ = true;
    }
  }

  std::string what_;
  z_stream stream_{};
  bool finished_ = false;
};

uint32_t big_endian(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// Reads and checks the header: magic, type, dimensions, sizes.
std::vector<int64_t> read_header(ByteSource& source, const std::string& path) {
  uint8_t magic[4];
  const int64_t got = source.read(magic, 4);
  if (got == 0) fail(path, "empty file, not an IDX file");
  if (got < 4) fail(path, "truncated in the header (" + std::to_string(got) + " bytes); not an IDX file");
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, "not an IDX file (bad magic number); expected MNIST-format data");
  if (magic[2] != kUnsignedByte) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", magic[2]);
    fail(path, std::string("IDX data type ") + hex + " is not unsigned byte (0x08)");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4)
    fail(path, "IDX file with " + std::to_string(ndims) + " dimensions; 1 to 4 are allowed");
  std::vector<int64_t> shape;
  int64_t elements = 1;
  for (int k = 0; k < ndims; ++k) {
    uint8_t b[4];
    if (source.read(b, 4) < 4) fail(path, "truncated in the header");
    const int64_t size = big_endian(b);
    if (size == 0) fail(path, "dimension " + std::to_string(k) + " has size 0");
    // Checked before multiplying: four sizes of up to 2^32-1 would overflow int64.
    if (size > kMaxElements / elements)
      fail(path, "implausibly large IDX header (more than 2^34 bytes of data)");
    elements *= size;
    shape.push_back(size);
  }
  return shape;
}

std::string promise_mismatch(int64_t promised, int64_t held) {
  return "the header promises " + std::to_string(promised) + " bytes of data but the file holds " +
         std::to_string(held) +
         (held < promised ? "; the file is truncated: re-download or re-extract it"
                          : "; the extra bytes mean it is not an IDX file of this shape");
}

// Reads the `promised` data bytes that follow a header of `header_bytes`, then checks that
// nothing follows them.
std::vector<uint8_t> read_body(ByteSource& source, int64_t promised, int64_t header_bytes,
                               const std::string& path) {
  const int64_t plain = source.plain_size();
  if (plain >= 0 && plain - header_bytes != promised) fail(path, promise_mismatch(promised, plain - header_bytes));
  std::vector<uint8_t> bytes;
  int64_t have = 0;
  while (have < promised) {
    // A plain size is known to match; a gzip stream grows the buffer only as data arrives.
    const int64_t want = plain >= 0 ? promised : std::min(promised, std::max(kFirstChunk, 2 * have));
    bytes.resize(static_cast<size_t>(want));
    have += source.read(bytes.data() + have, want - have);
    if (have < want)
      fail(path, "truncated: the header promises " + std::to_string(promised) +
                     " bytes of data but the stream holds " + std::to_string(have) +
                     "; re-download or re-extract the file");
  }
  uint8_t extra;
  if (source.read(&extra, 1) == 1)
    fail(path, "has bytes after the " + std::to_string(promised) + " the header promises");
  return bytes;
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

IdxData parse_source(ByteSource& source, const std::string& path) {
  IdxData d;
  d.shape = read_header(source, path);
  d.bytes = read_body(source, element_count(d.shape), 4 + 4 * static_cast<int64_t>(d.shape.size()), path);
  return d;
}

}  // namespace

std::vector<int64_t> idx_header(const std::string& path) {
  GzFileSource source(path);
  return read_header(source, path);
}

IdxData read_idx_file(const std::string& path) {
  GzFileSource source(path);
  return parse_source(source, path);
}

IdxData parse_idx(const uint8_t* data, size_t size, const std::string& what) {
  if (starts_gzip(data, size)) {
    GzipMemorySource source(data, size, what);
    return parse_source(source, what);
  }
  PlainMemorySource source(data, size);
  return parse_source(source, what);
}

std::string idx_file_bytes(const std::vector<int64_t>& shape, const uint8_t* bytes, size_t size) {
  if (shape.empty() || shape.size() > 4)
    throw SpecError("an IDX file holds 1 to 4 dimensions, got " + std::to_string(shape.size()));
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 1 || s > UINT32_MAX) throw SpecError("IDX sizes must be between 1 and 2^32-1, got " + std::to_string(s));
    n *= s;
    if (n > kMaxElements) throw SpecError("an IDX file holds at most 2^34 bytes of data");
  }
  if (static_cast<size_t>(n) != size)
    throw SpecError("IDX shape holds " + std::to_string(n) + " bytes, got " + std::to_string(size));
  std::string out = {0, 0, static_cast<char>(kUnsignedByte), static_cast<char>(shape.size())};
  for (int64_t s : shape)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((s >> shift) & 0xff));
  out.append(reinterpret_cast<const char*>(bytes), size);
  return out;
}

}  // namespace nnmass

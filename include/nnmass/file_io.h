// Small file helpers with one-line errors: whole-file reads, and atomic writes so that a reader
// never sees half a file (temp file in the same folder, then rename).
#pragma once

#include <cstdint>
#include <string>

namespace nnmass {

// Reads a whole regular file of at most `max_bytes`; IoError naming the path and the reason if it
// cannot (a folder, a device such as /dev/zero, a file larger than the limit).
constexpr int64_t kMaxTextFileBytes = int64_t{1} << 30;
std::string read_text_file(const std::string& path, int64_t max_bytes = kMaxTextFileBytes);
// Writes `text` to `path` atomically, creating its folder if needed; IoError naming the path and
// the reason if it cannot.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace nnmass

// Small file helpers with one-line errors: whole-file reads, and atomic writes so that a reader
// never sees half a file (temp file in the same folder, then rename).
#pragma once

#include <string>

namespace nnmass {

// Reads a whole file; IoError naming the path and the reason if it cannot.
std::string read_text_file(const std::string& path);
// Writes `text` to `path` atomically, creating its folder if needed; IoError naming the path and
// the reason if it cannot.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace nnmass

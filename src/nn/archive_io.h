// Small helpers for nnmass's libtorch archives (model files, checkpoints): one-line errors.
#pragma once

#include <string>

#include <torch/torch.h>

#include "nnmass/error.h"

namespace nnmass::detail {

// The first line of a libtorch error, without its C++ backtrace.
inline std::string first_line(const c10::Error& e) {
  const std::string text = e.what_without_backtrace();
  return text.substr(0, text.find('\n'));
}

// A string entry of an archive; IoError "<path>: not <what> (no <key>)<hint>" if it is missing.
inline std::string read_archive_string(torch::serialize::InputArchive& archive, const char* key,
                                       const std::string& path, const std::string& what,
                                       const std::string& hint = "") {
  c10::IValue value;
  if (!archive.try_read(key, value) || !value.isString())
    throw IoError(path + ": not " + what + " (no " + key + ")" + hint);
  return value.toStringRef();
}

}  // namespace nnmass::detail

// A user's accuracy table joined to scored runs; see truth.h.
#include "nnmass/report/truth.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "nnmass/error.h"
#include "nnmass/file_io.h"

namespace nnmass {
namespace {

constexpr const char* kKeyColumns[] = {"arch", "arch_str", "arch_string", "architecture", "cells"};
constexpr const char* kAccColumns[] = {"test_acc", "test_accuracy", "accuracy", "acc", "top1"};

template <size_t N>
size_t find_column(const std::vector<std::string>& header, const std::string& wanted, const char* const (&defaults)[N],
                   const std::string& path, const char* what) {
  std::string names;
  for (const std::string& h : header) names += (names.empty() ? "" : ", ") + h;
  const auto index = [&](const std::string& name) {
    for (size_t k = 0; k < header.size(); ++k)
      if (header[k] == name) return k;
    return header.size();
  };
  if (!wanted.empty()) {
    const size_t k = index(wanted);
    if (k == header.size()) throw IoError(path + ": no column \"" + wanted + "\" (" + what + "); columns: " + names);
    return k;
  }
  for (const char* d : defaults)
    if (size_t k = index(d); k < header.size()) return k;
  std::string tried;
  for (const char* d : defaults) tried += (tried.empty() ? "" : ", ") + std::string(d);
  throw IoError(path + ": no " + what + " column (looked for " + tried + "; name it with --truth-" +
                (std::string(what) == "architecture" ? "key" : "acc") + "); columns: " + names);
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line, const std::string& where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) throw IoError(where + ": unclosed quote");
  return fields;
}

TruthTable read_truth_csv(const std::string& path, const std::string& key_column, const std::string& acc_column) {
  TruthTable t;
  t.file = path;
  std::istringstream in(read_text_file(path, int64_t{1} << 30));
  std::string line;
  if (!std::getline(in, line)) throw IoError(path + ": empty file (expected a header row)");
  const std::vector<std::string> header = split_csv_line(line, path + " row 1");
  const size_t key = find_column(header, key_column, kKeyColumns, path, "architecture");
  const size_t acc = find_column(header, acc_column, kAccColumns, path, "accuracy");
  t.key_column = header[key];
  t.acc_column = header[acc];
  double largest = 0;
  for (int row = 2; std::getline(in, line); ++row) {
    if (line.empty() || line == "\r") continue;
    const std::string where = path + " row " + std::to_string(row);
    const std::vector<std::string> f = split_csv_line(line, where);
    if (f.size() != header.size())
      throw IoError(where + ": " + std::to_string(f.size()) + " fields, the header has " + std::to_string(header.size()));
    char* end = nullptr;
    const double v = std::strtod(f[acc].c_str(), &end);
    if (f[acc].empty() || *end != '\0' || !std::isfinite(v) || v < 0)
      throw IoError(where + ": column " + t.acc_column + " must be a non-negative number, got \"" + f[acc] + "\"");
    if (!t.acc.emplace(f[key], v).second) throw IoError(where + ": architecture \"" + f[key] + "\" given twice");
    largest = std::max(largest, v);
  }
  if (t.acc.empty()) throw IoError(path + ": no rows after the header");
  t.percent = largest > 1.0;
  if (largest > 100.0) throw IoError(path + ": column " + t.acc_column + " has values above 100; give accuracies as a fraction or in %");
  if (t.percent)
    for (auto& entry : t.acc) entry.second /= 100.0;
  return t;
}

size_t join_truth(std::vector<RunRecord>& runs, const TruthTable& truth) {
  size_t matched = 0;
  for (RunRecord& r : runs) {
    const auto it = truth.acc.find(r.cells);
    r.test_acc = it == truth.acc.end() ? std::nan("") : it->second;
    r.test_loss = std::nan("");
    matched += it != truth.acc.end();
  }
  return matched;
}

}  // namespace nnmass

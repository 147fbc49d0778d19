// Plain-text tables for the terminal: a header row, aligned columns, numbers right-aligned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnmass {

class Table {
 public:
  explicit Table(std::vector<std::string> header);
  // Appends a row; it must have as many cells as the header.
  void add_row(std::vector<std::string> row);
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1,234,567".
std::string group_digits(int64_t value);
// Fixed-point with `decimals` digits.
std::string fixed(double value, int decimals);

}  // namespace nnmass

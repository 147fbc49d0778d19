// NAS-Bench-201 arch strings: parsing, printing and nnmass's base-5 numbering of the 15,625 cells.
#include "nnmass/nb201.h"

#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr const char* kOpNames[kNb201Ops] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                             "avg_pool_3x3"};
constexpr int kFrom[kNb201Edges] = {0, 0, 1, 0, 1, 2};
constexpr int kTo[kNb201Edges] = {1, 2, 2, 3, 3, 3};

[[noreturn]] void bad(const std::string& field, const std::string& text, const std::string& why) {
  std::string shown = text.size() > 80 ? text.substr(0, 77) + "..." : text;
  throw SpecError(field + " must be a NAS-Bench-201 arch string like |nor_conv_3x3~0|+|skip_connect~0|none~1|+"
                  "|avg_pool_3x3~0|nor_conv_1x1~1|none~2| (" + why + "), got \"" + shown + "\"");
}

Nb201Op parse_op(const std::string& name, const std::string& field, const std::string& text) {
  for (int k = 0; k < kNb201Ops; ++k)
    if (name == kOpNames[k]) return static_cast<Nb201Op>(k);
  bad(field, text, "unknown operation \"" + name + "\"; known: none, skip_connect, nor_conv_1x1, nor_conv_3x3, "
                   "avg_pool_3x3");
}

}  // namespace

std::string to_string(Nb201Op op) { return kOpNames[static_cast<int>(op)]; }
int nb201_edge_from(int edge) { return kFrom[edge]; }
int nb201_edge_to(int edge) { return kTo[edge]; }

Nb201Cell parse_nb201_cell(const std::string& text, const std::string& field) {
  // Three '+'-separated groups; group j-1 lists node j's inputs as |op~i| for i = 0..j-1.
  Nb201Cell cell{};
  size_t pos = 0;
  int edge = 0;
  for (int node = 1; node <= 3; ++node) {
    if (node > 1) {
      if (pos >= text.size() || text[pos] != '+') bad(field, text, "expected '+' before node " + std::to_string(node));
      ++pos;
    }
    if (pos >= text.size() || text[pos] != '|') bad(field, text, "expected '|' at byte " + std::to_string(pos + 1));
    ++pos;
    for (int from = 0; from < node; ++from, ++edge) {
      const size_t bar = text.find('|', pos);
      if (bar == std::string::npos) bad(field, text, "unterminated edge into node " + std::to_string(node));
      const std::string item = text.substr(pos, bar - pos);
      const size_t tilde = item.rfind('~');
      if (tilde == std::string::npos) bad(field, text, "edge \"" + item + "\" lacks ~source");
      const std::string source = item.substr(tilde + 1);
      if (source != std::to_string(from))
        bad(field, text, "node " + std::to_string(node) + "'s edge " + std::to_string(from + 1) + " must come from node " +
                             std::to_string(from) + ", not \"" + source + "\"");
      cell[edge] = parse_op(item.substr(0, tilde), field, text);
      pos = bar + 1;
    }
  }
  if (pos != text.size()) bad(field, text, "unexpected text after node 3");
  return cell;
}

std::string nb201_arch_string(const Nb201Cell& cell) {
  std::string s;
  for (int e = 0; e < kNb201Edges; ++e) {
    if (kFrom[e] == 0) s += (e == 0 ? "|" : "+|");
    s += std::string(kOpNames[static_cast<int>(cell[e])]) + "~" + std::to_string(kFrom[e]) + "|";
  }
  return s;
}

int nb201_index(const Nb201Cell& cell) {
  int index = 0;
  for (Nb201Op op : cell) index = index * kNb201Ops + static_cast<int>(op);
  return index;
}

Nb201Cell nb201_cell_at(int index) {
  if (index < 0 || index >= kNb201Cells)
    throw SpecError("NAS-Bench-201 cell index must be between 0 and 15624, got " + std::to_string(index));
  Nb201Cell cell{};
  for (int e = kNb201Edges - 1; e >= 0; --e) {
    cell[e] = static_cast<Nb201Op>(index % kNb201Ops);
    index /= kNb201Ops;
  }
  return cell;
}

int nb201_count(const Nb201Cell& cell, Nb201Op op) {
  int n = 0;
  for (Nb201Op o : cell) n += o == op;
  return n;
}

Nb201Cell nb201_best_cifar10_cell() {
  return parse_nb201_cell("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|");
}

}  // namespace nnmass

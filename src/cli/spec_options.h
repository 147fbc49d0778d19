// The architecture flags every verb shares (--family, --depth, --width, --tc, --spec, --arch, ...)
// and their expansion into specs. In --depth/--width/--tc a comma separates models (a grid:
// every combination is one model) and a colon separates the cells of one model:
//   --depth 20 --width 8 --tc 0,4,8        three one-cell MLPs
//   --depth 13 --width 32:64:128 --tc 40:80:125   one three-cell CNN
#pragma once

#include <string>
#include <vector>

#include "nnmass/options.h"
#include "nnmass/spec.h"

namespace nnmass::cli {

struct SpecFlags {
  std::string spec_file;  // --spec FILE.json
  std::string example;    // --example NAME
  std::string arch;       // --arch NAME (standard layouts)
  std::string family;     // --family
  std::string depth, width, tc;  // grids, see above
  std::string input;      // comma list; default by family
  int classes = 10;       // default by family
  std::string activation = "elu";
  std::string head = "gap";
  std::string link_pool = "paper";
  std::string block = "basic", layers = "2,2,2,2", stem = "imagenet";
  int groups = 1, width_per_group = 64;
  double width_mult = 1.0;
  std::string repeats = "1,2,3,4,3,3,1";
  std::string cell;           // nb201: arch strings (',' = models), "all", or @FILE (one a line)
  int channels = 16, cells_per_stage = 5;
};

// Declares the flags in `table`, grouped under "Architecture" and "ResNet / MobileNet-v2".
void add_spec_flags(OptionTable& table, SpecFlags* flags);

// The first architecture flag given (without its dashes), other than those in `except`; "" if
// none. For sources that bring their own architecture (--load, --case, --spec).
std::string given_architecture_flag(const OptionTable& table, const std::vector<std::string>& except = {});

// Builds the (validated) specs the flags describe; SpecError naming the flag if they cannot,
// or if a flag was given that does not apply to the chosen family.
std::vector<Spec> specs_from_flags(const SpecFlags& flags, const OptionTable& table);

}  // namespace nnmass::cli

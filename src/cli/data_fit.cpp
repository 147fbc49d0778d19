// Fitting an architecture to a data set; see data_fit.h.
#include "cli/data_fit.h"

#include "nnmass/error.h"

namespace nnmass::cli {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

}  // namespace

// Fits the spec to the data: flags and --arch take the data's shape and classes unless given;
// a spec file or example must already match.
Spec fit_spec_to_data(Spec spec, const DataSplit& data, const SpecFlags& flags, const CLI::App& cmd) {
  const bool adopt = flags.spec_file.empty() && flags.example.empty();
  if (adopt && flags.input.empty()) spec.input = spec.family == Family::kMlp ? std::vector<int64_t>{product(data.shape)} : data.shape;
  if (adopt && !cmd.count("--classes")) spec.classes = static_cast<int>(data.classes);
  validate(spec);
  const bool fits = spec.family == Family::kMlp ? product(spec.input) == product(data.shape) : spec.input == data.shape;
  std::string shape;
  for (int64_t d : data.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
  if (!fits)
    throw SpecError("the architecture's input does not fit " + data.name + " samples of shape " + shape +
                    "; use --input " + shape + " or another data set");
  if (spec.classes != data.classes)
    throw SpecError("the architecture has " + std::to_string(spec.classes) + " classes, " + data.name + " has " +
                    std::to_string(data.classes) + "; use --classes " + std::to_string(data.classes));
  return spec;
}

}  // namespace nnmass::cli

// Fitting an architecture to a data set: the verbs that use data (train, isometry, sweep) take
// the data's input shape and classes unless the user fixed them.
#pragma once

#include "cli/spec_options.h"
#include "nnmass/data/dataset.h"

namespace nnmass::cli {

// Flags and --arch take the data's shape and classes unless --input / --classes were given; a
// spec file or example must already match. SpecError naming the fix if they do not fit.
Spec fit_spec_to_data(Spec spec, const DataSplit& data, const SpecFlags& flags, const CLI::App& cmd);

}  // namespace nnmass::cli

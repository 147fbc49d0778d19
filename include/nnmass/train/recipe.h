// The official recipes (method spec §4) applied to a loaded data set, and fitting an architecture
// to a data set. The options themselves are declared torch-free in nnmass/recipe.h.
#pragma once

#include "nnmass/data/dataset.h"
#include "nnmass/recipe.h"
#include "nnmass/spec.h"
#include "nnmass/train/trainer.h"

namespace nnmass {

// The official code's recipe for `data` (spec §4): Adam 1e-3, batch 100 on MNIST-like data;
// SGD 0.1, momentum 0.9, wd 5e-4, cosine, batch 128, crop + flip on CIFAR-like data. Fields whose
// option `table` reports as given keep the user's value.
void apply_official_recipe(const DataSplit& data, const OptionTable& table, bool no_augment, TrainOptions* train);

// The spec with the data's input shape and classes where `adopt_input` / `adopt_classes`;
// SpecError naming the fix (--input, --classes) if it then does not fit the data.
Spec fit_spec_to_data(Spec spec, const DataSplit& data, bool adopt_input, bool adopt_classes);

}  // namespace nnmass

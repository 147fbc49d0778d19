// Data and training-recipe flags shared by `train` and `sweep`, and the official recipes'
// defaults that apply when a flag is not given.
#pragma once

#include <CLI/CLI.hpp>

#include "nnmass/data/dataset.h"
#include "nnmass/train/trainer.h"

namespace nnmass::cli {

void add_data_flags(CLI::App* cmd, DataOptions* data);
// Epochs, optimizer, learning rate, schedule, batch size, augmentation (not the seed).
void add_recipe_flags(CLI::App* cmd, TrainOptions* train, bool* no_augment);

// Recipes of the official code (spec §4): Adam 1e-3, batch 100 on MNIST-like data; SGD 0.1,
// momentum 0.9, wd 5e-4, cosine, batch 128, crop + flip on CIFAR. Flags given override.
void apply_recipe_defaults(const DataSplit& data, const CLI::App& cmd, TrainOptions* train, bool no_augment);

// Torch threads for --threads `requested` (0: automatic): one for small models (where OpenMP's
// fork-join costs more than it saves), 0 (one per core) otherwise.
int choose_threads(int requested, const Spec& spec, int batch_size);

}  // namespace nnmass::cli

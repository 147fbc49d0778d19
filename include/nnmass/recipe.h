// Data and training-recipe options as plain data, and the policy a C++ caller shares with the
// command line: the declared options (one table for flags, grid files and the Python module) and
// the torch thread heuristic. Torch-free, so verbs that train nothing can still declare and check
// these options. The official recipes that depend on a loaded data set are in train/recipe.h.
#pragma once

#include <cstdint>
#include <string>

#include "nnmass/options.h"
#include "nnmass/spec.h"

namespace nnmass {

// The data set Debian's dataset-fashion-mnist installs: the default when no --data is given.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct DataOptions {
  std::string source;          // "" (Fashion-MNIST), a folder (IDX or CIFAR), "linear", "circle"
  int64_t limit_train = 0;     // keep only the first N training samples (0: all)
  int64_t limit_test = 0;      // keep only the first N test samples (0: all)
  int num_seg = 20;            // synthetic sets: alternating label segments
  uint64_t seed = 0;           // synthetic sets: generator seed
  bool need_train = true;      // false: skip reading the training split (it is left empty)
  // Image folders (root/train/<class>/*.jpg|*.png, root/val/...); zero or empty: the default,
  // and any other value on another data set is refused.
  int image_size = 0;          // side of the square input (0: 224)
  int resize = 0;              // evaluation: short side before the centre crop (0: size * 256 / 224)
  int loader_threads = 0;      // decoding threads (0: one per core)
  std::string mean, stdev;     // per channel, comma-separated ("": ImageNet's for RGB, 0 / 1 for grey)
  bool stream_images = false;  // the caller streams image folders (nnmass train); else they are refused
};

struct TrainOptions {
  std::string optimizer = "adam";     // adam | sgd
  double lr = 1e-3;                   // initial learning rate
  double momentum = 0.9;              // sgd only
  bool nesterov = false;              // sgd only
  double weight_decay = 0.0;          // L2 penalty (both optimizers)
  std::string schedule = "constant";  // constant | step | cosine (per epoch, to 0)
  int step_size = 30;                 // step schedule: epochs between decays
  double gamma = 0.1;                 // step schedule: decay factor
  int epochs = 5;
  int batch_size = 100;
  // Test-set batch: like a training batch. Larger ones are slower, not faster: a dense CNN's
  // activations at 1,000 images (50 MiB a layer output for a w16 cell on 28x28) overflow the
  // caches and were mapped and unmapped by the kernel on every batch (3,200 vs 1,250 images/s).
  int eval_batch_size = 100;
  uint64_t seed = 0;                  // shuffling and augmentation (per epoch, so resumable)
  bool augment = false;               // random crop (pad 4) + horizontal flip of images
  std::string device = "cpu";         // cpu | cuda
  std::string checkpoint;             // checkpoint file written after each epoch ("": none)
  bool resume = false;                // continue from `checkpoint` if it exists
  std::string metrics_log;            // JSON-lines file of per-epoch metrics ("": none)
};

// Declares --data, --limit-train, --limit-test, --num-seg (group "Data").
void add_data_options(OptionTable& table, DataOptions* data);
// Declares the image-folder flags --image-size, --resize, --loader-threads, --mean, --std (group
// "Data"): only for the verbs that stream folders (train); the others hold data in memory.
void add_image_folder_options(OptionTable& table, DataOptions* data);
// Declares --epochs, --optimizer, --lr, --momentum, --nesterov, --weight-decay, --schedule,
// --step-size, --gamma, --batch-size, --no-augment (group "Training"); not the seed.
void add_recipe_options(OptionTable& table, TrainOptions* train, bool* no_augment);
// Declares --init and --sigma.
void add_init_options(OptionTable& table, std::string* init, double* sigma);

// Torch threads for `requested` (0: automatic): one for small models, where OpenMP's fork-join
// costs more than it saves (MACs x batch < 5e7), otherwise 0 (one per core).
int choose_threads(int requested, const Spec& spec, int batch_size);

}  // namespace nnmass

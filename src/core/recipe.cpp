// Declared data and recipe options, and the thread heuristic; see recipe.h.
#include "nnmass/recipe.h"

#include <limits>

#include "nnmass/cost.h"

namespace nnmass {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

void add_data_options(OptionTable& t, DataOptions* d) {
  t.group("Data");
  t.add("data", &d->source,
        "A folder with MNIST-format IDX files or CIFAR-10/100 binary files, an image folder (train/<class>/*.jpg|*.png "
        "and val/<class>/...; nnmass train only), or linear | circle (synthetic) "
        "[default: Fashion-MNIST in /usr/share/datasets/fashion-mnist]");
  t.add("limit-train", &d->limit_train, 0, int64_t{1} << 40, "Use only the first N training samples (0: all)");
  t.add("limit-test", &d->limit_test, 0, int64_t{1} << 40, "Use only the first N test samples (0: all)");
  t.add("num-seg", &d->num_seg, 1, 1000000, "Synthetic sets: label segments");
}

void add_image_folder_options(OptionTable& t, DataOptions* d) {
  t.group("Data");
  t.add("image-size", &d->image_size, 1, 1 << 16,
        "Image folders: side of the square input (training: random resized crop; evaluation: centre crop) [default: 224]");
  t.add("resize", &d->resize, 1, 1 << 16,
        "Image folders: evaluation resizes the short side to this before the centre crop [default: image size * 256 / 224]");
  t.add("loader-threads", &d->loader_threads, 0, 1024,
        "Image folders: threads decoding images, beside the torch threads (0: one per core)");
  t.add("mean", &d->mean, "Image folders: per-channel mean subtracted after /255, one value or one per channel "
        "[default: ImageNet's 0.485,0.456,0.406 for RGB, 0 for grey]");
  t.add("std", &d->stdev, "Image folders: per-channel divisor after the mean, one value or one per channel "
        "[default: ImageNet's 0.229,0.224,0.225 for RGB, 1 for grey]");
}

void add_recipe_options(OptionTable& t, TrainOptions* train, bool* no_augment) {
  TrainOptions& o = *train;
  t.group("Training");
  t.add("epochs", &o.epochs, 1, 1000000, "Epochs");
  t.add("optimizer", &o.optimizer, "Optimizer [default: adam; sgd on CIFAR]", {"adam", "sgd"});
  t.add("lr", &o.lr, 0, kInf, "Learning rate [default: 1e-3 adam, 0.1 sgd]");
  t.add("momentum", &o.momentum, 0, 1, "SGD momentum");
  t.add_flag("nesterov", &o.nesterov, "SGD with Nesterov momentum");
  t.add("weight-decay", &o.weight_decay, 0, kInf, "L2 weight decay [default: 0; 5e-4 sgd on CIFAR]");
  t.add("schedule", &o.schedule, "Learning-rate schedule [default: constant; cosine on CIFAR]",
        {"constant", "step", "cosine"});
  t.add("step-size", &o.step_size, 1, 1000000, "step schedule: epochs between decays");
  t.add("gamma", &o.gamma, 0, 1, "step schedule: decay factor");
  t.add("batch-size", &o.batch_size, 1, 1 << 20, "Training samples per step [default: 100; 128 on CIFAR]");
  t.add_flag("no-augment", no_augment,
             "No random crop + flip on CIFAR; on image folders, resize + centre crop instead of random resized crop + flip");
}

void add_init_options(OptionTable& t, std::string* init, double* sigma) {
  t.add("init", init, "Weight init: libtorch's default, Gaussian N(0, sigma^2) or orthogonal (gain sigma)",
        {"default", "gaussian", "orthogonal"});
  t.add("sigma", sigma, 1e-12, 1e6, "Gaussian std / orthogonal gain");
}

// A w8 d32 MLP trains as fast on one thread as on two on an idle machine, and ~4x faster when the
// other core is busy (OpenMP threads spin-wait for each other), so small models take one.
int choose_threads(int requested, const Spec& spec, int batch_size) {
  constexpr double kSmallBatchMacs = 5e7;
  if (requested > 0) return requested;
  return static_cast<double>(count_cost(spec).macs) * batch_size < kSmallBatchMacs ? 1 : 0;
}

}  // namespace nnmass

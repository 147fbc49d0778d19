// Images per second of nnmass's image-folder loader: training epochs of ROOT/train with the
// ImageNet training transform (RandomResizedCrop(SIZE) + flip + normalise), THREADS loader threads,
// batches of BATCH, the batches consumed and dropped (as `for x, y in loader: pass`). Prints one
// JSON line per epoch; bench/image_folder_vs_torchvision.sh runs it beside torchvision.
//   usage: image_loader_bench ROOT [THREADS=1] [BATCH=64] [EPOCHS=3] [SIZE=224]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "nnmass/data/image_loader.h"
#include "nnmass/error.h"

using namespace nnmass;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: image_loader_bench ROOT [THREADS=1] [BATCH=64] [EPOCHS=3] [SIZE=224]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1, batch = argc > 3 ? std::atoi(argv[3]) : 64;
  const int epochs = argc > 4 ? std::atoi(argv[4]) : 3, size = argc > 5 ? std::atoi(argv[5]) : 224;
  try {
    ImageFolder folder = scan_image_folder(argv[1]);
    set_image_options(&folder, size, 0, "", "", threads);
    const auto source = image_folder_source(std::make_shared<const ImageFolder>(std::move(folder)), torch::kCPU);
    for (int epoch = 0; epoch < epochs; ++epoch) {
      const auto start = Clock::now();
      const auto stream = source->train_epoch(epoch, /*seed=*/0, batch, /*augment=*/true);
      int64_t images = 0;
      while (const auto b = stream->next()) images += b->y.size(0);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("{\"loader\": \"nnmass\", \"threads\": %d, \"batch\": %d, \"epoch\": %d, \"images\": %lld, "
                  "\"seconds\": %.3f, \"images_per_second\": %.1f}\n",
                  threads, batch, epoch, static_cast<long long>(images), seconds, images / seconds);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}

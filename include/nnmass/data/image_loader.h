// An image folder's batches (image_folder.h), read, decoded and transformed by worker threads
// while the trainer computes on the previous ones.
//   Order and randomness: a training pass is shuffled from (seed, epoch) and each sample's crop
//   and flip are drawn from (seed, epoch, sample index), so every batch is the same whatever the
//   thread count or scheduling. Evaluation passes are in folder order and unaugmented.
//   Prefetch: each worker builds whole batches (as torch's DataLoader workers do); at most
//   threads + 2 batches are in flight, handed to the consumer in order.
//   Threads: the workers (std::thread) run plain C++ (libjpeg-turbo, libpng, our resampler) and
//   call no torch operator beyond allocating their batch tensor, so they start no OpenMP team: the
//   torch thread count the trainer sets (--threads) still alone governs the forward and backward
//   passes, and the two pools run side by side (decoding overlaps compute). The loader's own count
//   is the folder's loader_threads (--loader-threads, default one per core).
//   Errors: a worker's error (an unreadable or corrupt image) reaches the consumer's next() as
//   that IoError naming the file, in batch order, and ends the pass; no thread is left behind.
#pragma once

#include <memory>

#include <torch/torch.h>

#include "nnmass/data/batch_source.h"
#include "nnmass/data/image_folder.h"

namespace nnmass {

// The batches of `folder` (train/ for training epochs, val/ for test passes) on `device`.
std::unique_ptr<BatchSource> image_folder_source(std::shared_ptr<const ImageFolder> folder, const torch::Device& device);

// Memory the loader's batches in flight take at `batch_size` (float32 inputs and labels), for the
// preflight. Each worker's decoded image comes on top; it depends on the files, unread by then.
int64_t image_loader_bytes(const ImageFolder& folder, int64_t batch_size);

}  // namespace nnmass

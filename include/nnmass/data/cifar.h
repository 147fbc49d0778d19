// CIFAR-10 / CIFAR-100 binary version (Krizhevsky 2009): records of 1 label byte (CIFAR-10) or
// 2 (coarse, fine: CIFAR-100) followed by 3072 pixel bytes (3 x 32 x 32, channel-major). The
// parsing itself is torch-free (cifar_format.h); this header gives tensors.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/data/cifar_format.h"

namespace nnmass {

struct CifarRecords {
  torch::Tensor images;  // uint8 [N, 3, 32, 32]
  torch::Tensor labels;  // int64 [N] (CIFAR-100: the fine label)
};

// Reads and concatenates binary batch files. IoError naming the file if its size is not a whole
// number of records or a label is out of range (parse_cifar's checks).
CifarRecords read_cifar(const std::vector<std::string>& paths, CifarKind kind);

// The per-channel mean and std of the official code (spec §4.2): x = (p/255 - mean) / std.
void cifar_normalisation(CifarKind kind, std::vector<float>* mean, std::vector<float>* stdev);

}  // namespace nnmass

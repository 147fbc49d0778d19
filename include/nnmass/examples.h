// The built-in architectures and design cases, as library data a C++ caller (or the Python module)
// uses the same way `nnmass --example` and `nnmass design --case` do. Torch-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nnmass/design.h"
#include "nnmass/spec.h"

namespace nnmass {

// Names accepted by example_spec: mnist_mlp, cifar_dwcnn (the official CIFAR default), cifar_cnn.
std::vector<std::string> example_names();
// SpecError listing the names if `name` is not one of them.
Spec example_spec(const std::string& name);

// A built-in design problem: a reference, the space searched around it and its tolerance. The
// dense cases hold the width fixed, as the paper compares NN-Mass among nets of equal width
// (layer-wise isometry depends on width and NN-Mass together).
struct DesignCase {
  std::string name;
  Spec reference;
  DesignSpace space;
  double tolerance = 0.02;          // relative NN-Mass tolerance
  std::optional<Spec> paper_model;  // the model the paper reports for this case, if any
};

std::vector<std::string> design_case_names();
// SpecError listing the names if `name` is not one of them.
DesignCase design_case(const std::string& name);

}  // namespace nnmass

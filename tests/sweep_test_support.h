// Data shared by the sweep and score tests (sweep_tests). Header-only.
#pragma once

#include "nnmass/data/dataset.h"
#include "nnmass/data/synthetic.h"

namespace nnmass::test {

// The synthetic `circle` set (two classes, rings) at a small size: `per_bin` points per bin for
// training (120 bins) and 1 per bin for testing (120); built in memory, no files.
inline DataSplit tiny_circle(int per_bin = 4) {
  const SyntheticSet train = make_synthetic("circle", per_bin, 2, 101);
  const SyntheticSet test = make_synthetic("circle", 1, 2, 202);
  DataSplit d;
  d.name = "circle-tiny";
  d.train = {train.points, train.labels, {}, {}};
  d.test = {test.points, test.labels, {}, {}};
  d.classes = 2;
  d.shape = {2};
  return d;
}

}  // namespace nnmass::test

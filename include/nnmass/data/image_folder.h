// Image folders in the ImageNet layout, as torchvision's ImageFolder reads them:
//   root/train/<class>/**/*.jpg|*.jpeg|*.png      root/val/<class>/**/...
// Classes are the sorted sub-folder names of train/ (label = position); val/ must hold the same
// classes. Files are ordered as torchvision orders them (folders sorted, then names sorted within
// each folder); other files are ignored. Only names and labels are held in memory: pixels are
// read batch by batch (image_loader.h), so the data set need not fit in memory. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/data/image_transform.h"

namespace nnmass {

// The images of one split, in torchvision's order.
struct ImageList {
  std::vector<std::string> files;  // paths relative to the split's folder ("cat/001.jpg")
  std::vector<int64_t> labels;     // class index of each file
  int64_t size() const { return static_cast<int64_t>(files.size()); }
};

// An image folder data set, ready to stream: what it holds and how its images become inputs.
struct ImageFolder {
  std::string root;
  std::vector<std::string> classes;  // sorted names of train/'s sub-folders
  ImageList train, val;
  int channels = 3;                  // 1 if the first image of every class is grey, else 3 (RGB)
  ImageTransform transform;          // size, resize, mean, stdev (augment is chosen per pass)
  int loader_threads = 1;            // decoding threads

  std::string train_path(int64_t i) const { return root + "/train/" + train.files[i]; }
  std::string val_path(int64_t i) const { return root + "/val/" + val.files[i]; }
};

// Whether `root` is laid out as an image folder (has a train/ or a val/ sub-folder).
bool is_image_folder(const std::string& root);

// Lists an image folder (train/ and val/ class folders), checks its layout and reads the header
// of each class's first training image to choose the channel count. IoError naming the folder or
// file at fault: a missing train/ or val/, no class folders, a class without images, val/ classes
// that differ from train/'s, an unreadable first image.
ImageFolder scan_image_folder(const std::string& root);

// The image options of the command line applied to a scanned folder: size (0: 224), resize (0: size *
// 256 / 224), mean and stdev ("": ImageNet's for RGB, 0 and 1 for grey; else one value or one per
// channel, comma-separated), loader threads (0: one per core). SpecError naming the flag.
void set_image_options(ImageFolder* folder, int size, int resize, const std::string& mean, const std::string& stdev,
                       int loader_threads);

// SpecError naming --image-size (or the channels) if a network taking `input` ([C, H, W]) cannot
// take this folder's inputs.
void check_image_input(const ImageFolder& folder, const std::vector<int64_t>& input);

}  // namespace nnmass

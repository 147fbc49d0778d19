// Anchor of the shared precompiled header <torch/torch.h>.

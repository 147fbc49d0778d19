// The extension _nnmass: declarations shared by its translation units. Everything crosses the
// boundary as JSON text, bytes, file paths or numpy arrays (never torch's Python bindings); the
// package python/nnmass/ turns them into Python objects.
#pragma once

#include <pybind11/pybind11.h>

namespace nnmass::python {

// Registers the functions that build or run networks (torch_bindings.cpp).
void bind_torch(pybind11::module_& m);

}  // namespace nnmass::python

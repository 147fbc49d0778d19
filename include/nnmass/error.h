// Errors thrown by the nnmass library. Every message names the field or file at fault and, where
// there is one, the fix; the command-line tool catches them once, prints `error: <message>` and
// exits with status 2 (bad input) or 1 (anything else).
#pragma once

#include <stdexcept>
#include <string>

namespace nnmass {

// Base of every error the library throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An architecture spec (or a flag that builds one) is malformed or impossible.
class SpecError : public Error {
 public:
  using Error::Error;
};

// A file could not be read or written, or its content is corrupt.
class IoError : public Error {
 public:
  using Error::Error;
};

// The work would need more memory (or another resource) than this machine has; refused before
// it starts.
class ResourceError : public Error {
 public:
  using Error::Error;
};

// Training diverged: the loss became NaN or infinite.
class DivergedError : public Error {
 public:
  using Error::Error;
};

}  // namespace nnmass

// Shared by the fuzzing harnesses: what counts as an expected outcome (an nnmass::Error, the
// library's one-line refusal of bad input) and what is a finding (anything else: a crash, a
// sanitizer report, an nlohmann exception escaping the library, a broken round trip).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "nnmass/error.h"

namespace nnmass::fuzz {

// Reports a finding and aborts, so libFuzzer saves the input.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "nnmass fuzz finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs `body`; an nnmass::Error is the expected refusal of bad input, any other exception a
// finding (an nlohmann exception means the library let a JSON error through unconverted).
template <typename F>
void run_expecting_errors_only(F body) {
  try {
    body();
  } catch (const Error&) {
    // expected: malformed input, refused in one line
  } catch (const nlohmann::json::exception& e) {
    finding(std::string("nlohmann exception escaped the library: ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception: ") + e.what());
  }
}

// Checks an invariant of a successful parse.
inline void require(bool ok, const std::string& what) {
  if (!ok) finding(what);
}

}  // namespace nnmass::fuzz

// Fuzzes the results-store reader: the input is written to a temporary file, which read_runs (as
// `nnmass report` uses it: read-only) opens and reads; then it is deleted. The reader must refuse
// or read, never crash, and never change the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_support.h"
#include "nnmass/sweep/store.h"

namespace {

// A per-process scratch file under $TMPDIR (or /tmp).
const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/nnmass_fuzz_store_" + std::to_string(::getpid()) + ".sqlite";
  }();
  return path;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void remove_all(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = scratch_path();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  remove_all(path);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) nnmass::fuzz::finding("cannot write " + path);
  }
  nnmass::fuzz::run_expecting_errors_only([&] {
    for (const nnmass::RunRecord& r : nnmass::read_runs({path})) (void)nnmass::runs_to_csv({r});
  });
  nnmass::fuzz::require(read_all(path) == bytes, "the read-only reader changed the database file");
  remove_all(path);
  return 0;
}

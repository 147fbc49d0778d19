// Shared flags and output preflight; see common_flags.h.
#include "cli/common_flags.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "nnmass/error.h"

namespace nnmass::cli {

namespace fs = std::filesystem;

void add_seed_option(OptionTable& t, SeedFlags* f) {
  t.add("seed", &f->seed, 0, kSeedMax, "Seed of links, weights, shuffling and augmentation");
}

void add_seed_options(OptionTable& t, SeedFlags* f, int repeats) {
  f->repeats = repeats;
  t.add("seed", &f->seed, 0, kSeedMax, "First seed (of links, weights, shuffling and augmentation)");
  t.add("repeats", &f->repeats, 1, 100000, "Seeds per model: seed, seed+1, ..., seed+N-1");
  t.add_list("seeds", &f->seeds, "Explicit seeds, comma-separated, instead of --seed/--repeats");
}

std::vector<uint64_t> seeds_from_flags(const SeedFlags& f, const OptionTable& t) {
  std::vector<uint64_t> seeds;
  if (t.given("seeds")) {
    if (t.given("seed") || t.given("repeats"))
      throw SpecError("--seeds lists the seeds itself; drop --seed and --repeats, or drop --seeds");
    for (int64_t s : parse_int_list(f.seeds, ',', "--seeds", 0, kSeedMax, 100000)) seeds.push_back(s);
    return seeds;
  }
  if (f.seed + f.repeats - 1 > static_cast<uint64_t>(kSeedMax))
    throw SpecError("--seed + --repeats passes the largest seed " + std::to_string(kSeedMax));
  for (int r = 0; r < f.repeats; ++r) seeds.push_back(f.seed + r);
  return seeds;
}

void add_threads_option(OptionTable& t, int* threads) {
  t.add("threads", threads, 0, 1024, "Torch threads (0: one for small models, else one per core)");
}

void add_json_option(OptionTable& t, bool* json) {
  t.add_flag("json", json, "Print the result as JSON (the library's field names) instead of tables").in_grid = false;
}

// Creates nothing: the nearest folder that exists must accept a new file, and nothing on the way
// may be a file. The folders themselves are made when the output is written (write_file_atomic,
// RunStore), so a command refused later leaves no trace.
void check_output_dir(const std::string& dir, const std::string& flag) {
  if (dir.empty()) throw SpecError(flag + " must name a folder, got \"\"");
  std::error_code ec;
  fs::path existing = fs::absolute(dir, ec);
  while (!fs::exists(existing, ec) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing, ec))
    throw IoError(flag + ": cannot create folder " + dir + ": " + existing.string() + " is a file");
  // A real probe file: access(W_OK) says yes to root on a read-only file system's folders.
  const std::string probe = (existing / (".nnmass-write-test." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw IoError(flag + ": cannot write in folder " + existing.string() + ": " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_output_file(const std::string& path, const std::string& flag) {
  if (path.empty()) throw SpecError(flag + " must name a file, got \"\"");
  if (fs::is_directory(path)) throw IoError(flag + ": " + path + " is a folder, not a file");
  const fs::path parent = fs::path(path).parent_path();
  check_output_dir(parent.empty() ? "." : parent.string(), flag);
}

}  // namespace nnmass::cli

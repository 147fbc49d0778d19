// nnmass: the command-line tool. The torch-free verbs (mass, report, design) are compiled in; the
// verbs that build networks live in a plugin loaded only when the command line names one, so
// `nnmass mass` starts in milliseconds without libtorch. Errors thrown by the library are caught
// here once and printed on one line; exit codes: 0 ok, 1 internal error, 2 bad input (flags,
// files, resources), 3 training diverged.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "nnmass/error.h"

namespace nnmass::cli {

TorchHooks& torch_hooks() {
  static TorchHooks hooks;
  return hooks;
}

}  // namespace nnmass::cli

namespace {

constexpr int kExitBadInput = 2;  // a malformed or impossible spec, flag or file; too little memory
constexpr int kExitFailure = 1;   // anything else
constexpr int kExitDiverged = 3;  // training stopped on a NaN or infinite loss

// One line: libtorch's own errors carry a multi-line backtrace after their first line.
int report(const std::string& message, const std::string& hint, int code) {
  std::cerr << "error: " << message.substr(0, message.find('\n')) << hint << "\n";
  return code;
}

// Whether the command line needs the torch plugin: every verb but mass, report and design
// without --validate (and the top-level --help, which lists every verb).
bool needs_torch(int argc, char** argv) {
  std::string verb;
  bool validate = false, version = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (verb.empty() && !arg.empty() && arg[0] != '-') verb = arg;
    if (arg == "--validate" || arg.rfind("--validate=", 0) == 0) validate = true;
    if (arg == "--version") version = true;
  }
  if (verb.empty()) return !version && argc > 1;
  return !(verb == "mass" || verb == "report" || (verb == "design" && !validate));
}

std::string executable_dir() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  const std::string exe(path, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

// Loads the plugin beside the executable (build tree) or in ../lib/nnmass (installed).
void load_torch_verbs(CLI::App& app) {
  const std::string dir = executable_dir();
  std::string errors;
  for (const std::string& path : {dir + "/" + nnmass::cli::kTorchVerbsLibrary,
                                  dir + "/../lib/nnmass/" + nnmass::cli::kTorchVerbsLibrary}) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      errors += std::string(errors.empty() ? "" : "; ") + ::dlerror();
      continue;
    }
    auto entry = reinterpret_cast<nnmass::cli::RegisterTorchVerbs>(::dlsym(handle, nnmass::cli::kTorchVerbsSymbol));
    if (!entry) throw nnmass::Error(path + " has no entry point " + nnmass::cli::kTorchVerbsSymbol);
    entry(&app, &nnmass::cli::torch_hooks());
    return;
  }
  throw nnmass::Error("cannot load the verbs that use libtorch (" + errors + "); rebuild nnmass");
}

// `nnmass --help` lists each verb by its first line; `nnmass VERB --help` shows all of it.
void split_descriptions(CLI::App& app) {
  for (CLI::App* verb : app.get_subcommands({})) {
    const std::string text = verb->get_description();
    const size_t newline = text.find('\n');
    if (newline == std::string::npos) continue;
    verb->description(text.substr(0, newline));
    verb->footer(text.substr(newline + 1));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "nnmass " NNMASS_VERSION " - NN-Mass (Bhardwaj, Li, Marculescu, CVPR 2021): a training-free\n"
      "predictor of accuracy from the topology of skip connections.\n"
      "Exit status: 0 ok, 1 internal error, 2 bad input (a flag, a file, too little memory), 3 training diverged.",
      "nnmass"};
  app.set_version_flag("--version", "nnmass " NNMASS_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(40);
  try {
    nnmass::cli::register_mass(app);
    if (needs_torch(argc, argv)) load_torch_verbs(app);
    nnmass::cli::register_report(app);
    nnmass::cli::register_design(app);
    split_descriptions(app);
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(e.what(), " (see nnmass --help)", kExitBadInput);
  } catch (const nnmass::DivergedError& e) {
    return report(e.what(), "", kExitDiverged);
  } catch (const nnmass::SpecError& e) {
    return report(e.what(), "", kExitBadInput);
  } catch (const nnmass::IoError& e) {
    return report(e.what(), "", kExitBadInput);
  } catch (const nnmass::ResourceError& e) {
    return report(e.what(), "", kExitBadInput);
  } catch (const std::bad_alloc&) {
    return report("out of memory", "; the estimate before the work did not foresee it: please report this", kExitFailure);
  } catch (const std::exception& e) {
    return report(e.what(), "", kExitFailure);
  }
  return 0;
}

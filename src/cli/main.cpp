// nnmass: the command-line tool. Verbs are registered from cmd_<verb>.cpp; errors thrown by the
// library are caught here once and printed on one line.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "nnmass/error.h"

namespace {

constexpr int kExitBadInput = 2;  // a malformed or impossible spec, flag or file
constexpr int kExitFailure = 1;   // anything else
constexpr int kExitDiverged = 3;  // training stopped on a NaN or infinite loss

// One line: libtorch's own errors carry a multi-line backtrace after their first line.
int report(const std::string& message, const std::string& hint, int code) {
  std::cerr << "error: " << message.substr(0, message.find('\n')) << hint << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "nnmass " NNMASS_VERSION " - NN-Mass (Bhardwaj, Li, Marculescu, CVPR 2021): a training-free\n"
      "predictor of accuracy from the topology of skip connections.",
      "nnmass"};
  app.set_version_flag("--version", "nnmass " NNMASS_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(40);
  nnmass::cli::register_mass(app);
  nnmass::cli::register_build(app);
  nnmass::cli::register_train(app);
  nnmass::cli::register_isometry(app);
  nnmass::cli::register_sweep(app);
  nnmass::cli::register_report(app);
  nnmass::cli::register_design(app);
  // `nnmass --help` lists each verb by its first line; `nnmass VERB --help` shows all of it.
  for (CLI::App* verb : app.get_subcommands({})) {
    const std::string text = verb->get_description();
    const size_t newline = text.find('\n');
    if (newline == std::string::npos) continue;
    verb->description(text.substr(0, newline));
    verb->footer(text.substr(newline + 1));
  }

  try {
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
  } catch (const std::exception& e) {
    return report(e.what(), "", kExitFailure);
  }
  return 0;
}

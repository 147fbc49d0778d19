// The plugin's entry point: the verbs that build, train or measure networks (libtorch).
#include "cli/commands.h"

extern "C" void nnmass_register_torch_verbs(CLI::App* app, nnmass::cli::TorchHooks* hooks) {
  nnmass::cli::register_build(*app);
  nnmass::cli::register_train(*app);
  nnmass::cli::register_isometry(*app);
  nnmass::cli::register_sweep(*app);
  nnmass::cli::register_design_validation(hooks);
}

// k3anim: parses the command line, runs one subcommand, maps library errors to exit codes.
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "src/public/runtime.h"

#include <iostream>
#include <map>

namespace k3::cli {

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

namespace {
GlobalOptions g_options;
}
const GlobalOptions& global_options() { return g_options; }

}  // namespace k3::cli

int main(int argc, char** argv) {
  using namespace k3::cli;
  CLI::App app{"k3anim: Deforum-style animations with Kandinsky 3.0, natively in C++"};
  app.set_version_flag("--version", "k3anim 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--threads", g_options.threads, "CPU threads for libtorch (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("-q,--quiet", g_options.quiet, "No progress output");
  app.add_flag("--no-cuda-graphs", g_options.no_cuda_graphs,
               "On a CUDA device, run every UNet forward eagerly instead of replaying a recorded CUDA graph");

  std::map<std::string, std::function<int()>> actions;
  for (auto& entry : command_registry()) actions[entry.name] = entry.setup(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  k3::set_torch_threads(g_options.threads);
  k3::set_cuda_graphs(!g_options.no_cuda_graphs);
  for (CLI::App* sub : app.get_subcommands()) {
    auto it = actions.find(sub->get_name());
    if (it != actions.end()) return run_guarded(it->second);
  }
  std::cerr << "k3anim: no subcommand given (see --help)\n";
  return kExitUsage;
}

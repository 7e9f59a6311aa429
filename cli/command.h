#pragma once
// Subcommands register themselves here; main.cpp knows none of them by name.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace k3::cli {

// Adds one subcommand to `app` and returns the action that runs it (its exit code).
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandEntry {
  std::string name;
  CommandSetup setup;
};

std::vector<CommandEntry>& command_registry();

struct RegisterCommand {
  RegisterCommand(std::string name, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(setup)});
  }
};

// Options every subcommand shares (parsed before the action runs).
struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool quiet = false;
  bool no_cuda_graphs = false;
};
const GlobalOptions& global_options();

}  // namespace k3::cli

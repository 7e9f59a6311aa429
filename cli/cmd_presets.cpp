// `k3anim presets [NAME]`: lists the built-in presets with a line each, or prints one.
#include "animation/render/presets.h"
#include "cli/command.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

k3::cli::RegisterCommand registration("presets", [](CLI::App& app) -> std::function<int()> {
  auto name = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("presets", "List the built-in presets, or print one");
  sub->add_option("name", *name, "preset to print");
  return [name] {
    if (name->empty()) {
      auto presets = k3::anim::list_presets();
      std::size_t width = 0;
      for (const auto& p : presets) width = std::max(width, p.name.size());
      for (const auto& p : presets) std::cout << p.name << std::string(width + 2 - p.name.size(), ' ') << p.description << "\n";
      if (presets.empty()) {
        std::cerr << "k3anim: no presets found in:";
        for (const auto& dir : k3::anim::preset_search_path()) std::cerr << " " << dir;
        std::cerr << " (set K3_PRESETS)\n";
        return 1;
      }
      return 0;
    }
    std::ifstream in(k3::anim::find_preset(*name));
    std::cout << in.rdbuf();
    return 0;
  };
});

}  // namespace

// `k3anim import-deforum SETTINGS_FILE -o preset.json`: converts a Deforum settings file
// (A1111 extension or deforum-kandinsky names) into a k3anim preset; every key it does not
// support is listed on stderr.
#include "animation/render/deforum_import.h"
#include "base/atomic_file.h"
#include "cli/command.h"

#include <iostream>

namespace {

struct ImportOptions {
  std::string input;
  std::string output;
  std::string flavor = "auto";
};

k3::cli::RegisterCommand registration("import-deforum", [](CLI::App& app) -> std::function<int()> {
  auto options = std::make_shared<ImportOptions>();
  auto* sub = app.add_subcommand("import-deforum", "Convert a Deforum settings file into a k3anim preset");
  sub->add_option("settings", options->input, "Deforum settings file (*_settings.txt or .json)")->required();
  sub->add_option("-o,--output", options->output, "preset file to write (default: stdout)");
  sub->add_option("--flavor", options->flavor, "auto, a1111 (strength = 1 - denoise) or dk (deforum-kandinsky: strength = denoise)");
  return [options] {
    auto result = k3::anim::import_deforum_file(options->input, k3::anim::parse_deforum_flavor(options->flavor));
    std::string text = result.preset.dump(2) + "\n";
    if (options->output.empty()) std::cout << text;
    else k3::write_file_atomically(options->output, text);
    const char* flavor = result.flavor == k3::anim::DeforumFlavor::DeforumKandinsky ? "deforum-kandinsky" : "A1111 Deforum";
    if (!k3::cli::global_options().quiet || !result.warnings.empty()) {
      std::cerr << "k3anim: read " << options->input << " as " << flavor << " settings";
      if (!options->output.empty()) std::cerr << ", wrote " << options->output;
      std::cerr << "\n";
    }
    if (!result.warnings.empty()) {
      std::cerr << "k3anim: warning: " << result.warnings.size() << " unsupported key(s) not converted:\n";
      for (const auto& w : result.warnings) std::cerr << "  " << w.key << ": " << w.reason << "\n";
    }
    return 0;
  };
});

}  // namespace

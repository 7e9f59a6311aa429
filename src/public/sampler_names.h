#pragma once
// The sampler names every layer accepts, listed once (no torch here: presets and the CLI check
// names without building a sampler). src/sampling/sampler.h makes them.
#include <string>
#include <vector>

namespace k3 {

inline const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> names = {"ddpm", "ddim", "original", "flash"};
  return names;
}

}  // namespace k3

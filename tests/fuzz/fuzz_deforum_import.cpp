// libFuzzer target: a Deforum settings file as `k3anim import-deforum` reads it
// (scripts/fuzz.sh 300 fuzz_deforum_import). Input: byte 0 picks the flavour (auto, A1111,
// deforum-kandinsky), the rest is the file. The preset it makes must be a JSON object that the
// preset reader either accepts or refuses with a k3::Error; anything else escaping is a bug.
#include "animation/render/deforum_import.h"
#include "animation/render/render_settings.h"
#include "base/bounded_json.h"
#include "base/errors.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace k3::anim;
  if (size < 1) return 0;
  const DeforumFlavor flavors[] = {DeforumFlavor::Auto, DeforumFlavor::A1111, DeforumFlavor::DeforumKandinsky};
  const DeforumFlavor flavor = flavors[data[0] % 3];
  try {
    const nlohmann::json settings =
        k3::parse_bounded_json(std::string(reinterpret_cast<const char*>(data + 1), size - 1), "fuzz");
    const DeforumImport imported = import_deforum_settings(settings, "fuzz", flavor);
    if (!imported.preset.is_object()) std::abort();
    for (const ImportWarning& w : imported.warnings)
      if (w.reason.empty()) std::abort();
    parse_render_settings(imported.preset, "imported");
  } catch (const k3::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}

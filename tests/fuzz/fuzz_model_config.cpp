// libFuzzer target: the JSON files of a model folder (scripts/fuzz.sh 300 fuzz_model_config).
// Input: byte 0 picks the file (model_index.json, then the config.json of the UNet, MoVQ, T5
// encoder, or scheduler_config.json), the rest is its text, read with the readers' limits.
// Anything but a k3::Error escaping is a bug.
#include "base/bounded_json.h"
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/models/movq_config.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/t5_config.h"
#include "src/models/unet_config.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void open_folder(const std::uint8_t* data, std::size_t size) {
  k3::fuzz::write_scratch("folder/model_index.json", data, size);
  const auto folder = k3::ModelFolder::open(k3::fuzz::scratch_dir() + "/folder");
  for (const std::string& component : folder.components())
    if (folder.class_name(component).empty() && !folder.has_component(component)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int which = data[0] % 5;
  try {
    if (which == 0) {
      open_folder(data + 1, size - 1);
      return 0;
    }
    const nlohmann::json json = k3::parse_bounded_json(std::string(reinterpret_cast<const char*>(data + 1), size - 1), "config.json");
    if (which == 1) {
      const auto c = k3::UNetConfig::from_json(json, "config.json");
      if (c.levels() < 1) std::abort();
    } else if (which == 2) {
      k3::MoVQConfig::from_json(json, "config.json");
    } else if (which == 3) {
      k3::T5EncoderConfig::from_json(json, "config.json");
    } else {
      k3::SchedulerConfig::from_json(json, "scheduler_config.json");
    }
  } catch (const k3::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}

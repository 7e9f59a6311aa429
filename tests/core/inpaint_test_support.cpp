#include "tests/core/inpaint_test_support.h"

#include "src/io/model_folder.h"
#include "src/io/safetensors.h"
#include "src/models/unet_config.h"
#include "src/io/weights.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <filesystem>
#include <fstream>

namespace k3::test::inpaint {

nlohmann::json inpainting_unet_config_json() {
  auto json = k3::read_json_file(k3::test::fixtures_root() + "/k3-tiny/unet/config.json");
  const int64_t latent = k3::test::fixture::model_geometry().latent_channels;
  json["in_channels"] = 2 * latent + 1;
  json["out_channels"] = latent;
  return json;
}

void randomize(torch::nn::Module& module, uint64_t seed, double scale) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& item : module.named_parameters()) {
    auto& p = item.value();
    auto values = torch::randn(p.sizes(), generator) * scale;
    const auto& name = item.key();
    const bool norm_weight = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0 &&
                             (name.find("norm") != std::string::npos) && p.dim() == 1;
    p.copy_(norm_weight ? values + 1.0 : values);
  }
}

Kandinsky3UNet write_inpainting_model_folder(const std::string& dir, uint64_t seed) {
  namespace fs = std::filesystem;
  const fs::path source = k3::test::fixtures_root() + "/k3-tiny";
  fs::copy(source, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (auto& entry : fs::recursive_directory_iterator(dir))
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec,
                    fs::perm_options::add);
  const auto config_json = inpainting_unet_config_json();
  std::ofstream(dir + "/unet/config.json") << config_json.dump(2);
  Kandinsky3UNet unet(UNetConfig::from_json(config_json, "test unet config"));
  randomize(*unet, seed);
  std::vector<torch::Tensor> keep_alive;
  std::vector<TensorToWrite> tensors;
  auto named = unet->named_parameters();
  for (auto& item : unet->named_buffers()) named.insert(item.key(), item.value());
  for (auto& item : named) {
    keep_alive.push_back(item.value().contiguous());
    tensors.push_back({item.key(), DType::F32, keep_alive.back().sizes().vec(), keep_alive.back().data_ptr()});
  }
  write_safetensors(dir + "/unet/diffusion_pytorch_model.safetensors", tensors);
  return unet;
}

}  // namespace k3::test::inpaint

#pragma once
// Helpers of the inpainting / conversion tests: tiny 9-channel UNets with random weights built from
// the k3-tiny fixture's configs, written as model folders through the safetensors writer.
#include "src/models/unet.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace k3::test::inpaint {

// The fixture's unet/config.json as the original's inpainting UNet: in_channels 2C+1 and
// out_channels C for the MoVQ's C latent channels (9 and 4 in Kandinsky 3).
nlohmann::json inpainting_unet_config_json();
// Every parameter filled with N(0, scale^2) (norm weights around 1), seeded.
void randomize(torch::nn::Module& module, uint64_t seed, double scale = 0.05);
// A copy of the k3-tiny folder at `dir` whose unet/ is a 9-channel UNet with random weights.
// Returns the UNet that was written.
Kandinsky3UNet write_inpainting_model_folder(const std::string& dir, uint64_t seed);

}  // namespace k3::test::inpaint

#pragma once
// Kandinsky3UNet hyper-parameters, parsed from a diffusers unet/config.json.
// Follows diffusers models/unets/unet_kandinsky3.py (Kandinsky3UNet.__init__ arguments).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace k3 {

struct UNetConfig {
  // From config.json (diffusers' defaults are those of the real kandinsky-3 file).
  int64_t in_channels = 4;
  int64_t time_embedding_dim = 1536;
  int64_t groups = 32;
  int64_t attention_head_dim = 64;
  int64_t layers_per_block = 3;
  std::vector<int64_t> block_out_channels = {384, 768, 1536, 3072};
  int64_t cross_attention_dim = 4096;
  int64_t encoder_hid_dim = 4096;
  // Optional "out_channels" key (not written by diffusers, whose Kandinsky3UNet predicts
  // in_channels; the original inpainting UNet takes 9 channels and predicts 4). 0 = absent:
  // in_channels, except 9 -> 4.
  int64_t output_channels = 0;

  // Hard-coded in diffusers' Kandinsky3UNet (not config keys).
  int64_t expansion_ratio = 4;
  int64_t compression_ratio = 2;
  std::vector<bool> add_cross_attention = {false, true, true, true};
  std::vector<bool> add_self_attention = {false, true, true, true};

  // Keys of the file this parser does not know (metadata keys starting with '_' excluded).
  std::vector<std::string> warnings;

  int64_t out_channels() const { return output_channels > 0 ? output_channels : (in_channels == 9 ? 4 : in_channels); }
  // The original's inpainting input: [latent, mask, masked-image latent] (spec 6.2).
  bool is_inpainting() const { return in_channels == 2 * out_channels() + 1; }
  int64_t init_channels() const { return block_out_channels.at(0) / 2; }
  int64_t levels() const { return static_cast<int64_t>(block_out_channels.size()); }

  // Parses `json` (`source` names the file in error messages). Every key diffusers' 0.24
  // writer puts in the file is required (a file without them is not a Kandinsky3UNet config);
  // validates that the numbers make a buildable network. Throws k3::ConfigError.
  static UNetConfig from_json(const nlohmann::json& json, const std::string& source);
  static UNetConfig from_file(const std::string& path);
  // The architecture of kandinsky-community/kandinsky-3 (spec section 1.3).
  static UNetConfig kandinsky3();
};

}  // namespace k3

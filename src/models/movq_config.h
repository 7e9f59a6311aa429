#pragma once
// MoVQ (diffusers VQModel) hyper-parameters, parsed from movq/config.json.
// Follows diffusers models/autoencoders/vq_model.py (VQModel.__init__ arguments and defaults).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace k3 {

struct MoVQConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  std::vector<std::string> down_block_types = {"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D",
                                               "AttnDownEncoderBlock2D"};
  std::vector<std::string> up_block_types = {"AttnUpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D",
                                             "UpDecoderBlock2D"};
  std::vector<int64_t> block_out_channels = {256, 512, 512, 1024};
  int64_t layers_per_block = 2;
  std::string act_fn = "silu";
  int64_t latent_channels = 4;
  int64_t norm_num_groups = 32;
  int64_t num_vq_embeddings = 16384;
  int64_t vq_embed_dim = 4;  // diffusers: null -> latent_channels
  std::string norm_type = "spatial";  // "spatial" (MoVQ) or "group"
  double scaling_factor = 0.18215;    // never used by the Kandinsky 3 pipelines
  int64_t sample_size = 32;           // informational
  // Keys added after diffusers 0.24 (absent from the real file): diffusers' defaults.
  bool mid_block_add_attention = true;
  bool lookup_from_codebook = false;
  bool force_upcast = false;

  std::vector<std::string> warnings;  // unknown keys

  // The decoder's SpatialNorm always normalises with 32 groups (diffusers hard-codes it).
  static constexpr int64_t spatial_norm_groups = 32;
  // Image pixels per latent pixel: 2^(levels - 1).
  int64_t downscale_factor() const { return int64_t{1} << (block_out_channels.size() - 1); }

  // Required: the architecture keys diffusers 0.24 writes; the later keys default as diffusers.
  // Throws k3::ConfigError naming `source` and the key.
  static MoVQConfig from_json(const nlohmann::json& json, const std::string& source);
  static MoVQConfig from_file(const std::string& path);
  // kandinsky-community/kandinsky-3 movq/config.json (spec section 1.4).
  static MoVQConfig kandinsky3();
};

}  // namespace k3

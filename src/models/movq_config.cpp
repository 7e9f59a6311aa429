// Parses movq/config.json. Follows diffusers models/autoencoders/vq_model.py (VQModel.__init__).
#include "src/models/movq_config.h"

#include "base/json_reader.h"
#include "src/io/model_folder.h"

namespace k3 {

MoVQConfig MoVQConfig::from_json(const nlohmann::json& json, const std::string& source) {
  JsonReader reader(json, source);
  if (reader.has("_class_name")) {
    auto cls = json.at("_class_name");
    if (!cls.is_string() || cls.get<std::string>() != "VQModel") reader.fail("_class_name", "\"VQModel\"", cls.dump());
  }
  MoVQConfig c;
  c.in_channels = reader.required_int("in_channels");
  c.out_channels = reader.required_int("out_channels");
  c.down_block_types = reader.required_string_list("down_block_types");
  c.up_block_types = reader.required_string_list("up_block_types");
  c.block_out_channels = reader.required_int_list("block_out_channels");
  c.layers_per_block = reader.required_int("layers_per_block");
  c.act_fn = reader.optional_string("act_fn", "silu");
  c.latent_channels = reader.required_int("latent_channels");
  c.norm_num_groups = reader.optional_int("norm_num_groups", 32);
  c.num_vq_embeddings = reader.required_int("num_vq_embeddings");
  c.vq_embed_dim = reader.optional_int("vq_embed_dim", c.latent_channels);
  c.norm_type = reader.optional_string("norm_type", "group");
  c.scaling_factor = reader.optional_double("scaling_factor", 0.18215);
  c.sample_size = reader.optional_int("sample_size", 32);
  c.mid_block_add_attention = reader.optional_bool("mid_block_add_attention", true);
  c.lookup_from_codebook = reader.optional_bool("lookup_from_codebook", false);
  c.force_upcast = reader.optional_bool("force_upcast", false);

  const auto levels = c.block_out_channels.size();
  if (c.down_block_types.size() != levels)
    reader.fail("down_block_types", std::to_string(levels) + " entries (one per block_out_channels)",
                std::to_string(c.down_block_types.size()));
  if (c.up_block_types.size() != levels)
    reader.fail("up_block_types", std::to_string(levels) + " entries (one per block_out_channels)",
                std::to_string(c.up_block_types.size()));
  for (const auto& type : c.down_block_types)
    if (type != "DownEncoderBlock2D" && type != "AttnDownEncoderBlock2D")
      reader.fail("down_block_types", "DownEncoderBlock2D or AttnDownEncoderBlock2D", type);
  for (const auto& type : c.up_block_types)
    if (type != "UpDecoderBlock2D" && type != "AttnUpDecoderBlock2D")
      reader.fail("up_block_types", "UpDecoderBlock2D or AttnUpDecoderBlock2D", type);
  if (c.act_fn != "silu" && c.act_fn != "swish") reader.fail("act_fn", "\"silu\"", c.act_fn);
  if (c.norm_type != "spatial" && c.norm_type != "group") reader.fail("norm_type", "\"spatial\" or \"group\"", c.norm_type);
  if (c.layers_per_block < 1) reader.fail("layers_per_block", "a positive integer", std::to_string(c.layers_per_block));
  const std::pair<const char*, int64_t> counts[] = {
      {"in_channels", c.in_channels},         {"out_channels", c.out_channels},
      {"latent_channels", c.latent_channels}, {"num_vq_embeddings", c.num_vq_embeddings},
      {"vq_embed_dim", c.vq_embed_dim},       {"norm_num_groups", c.norm_num_groups}};
  for (const auto& [key, v] : counts)
    if (v <= 0) reader.fail(key, "a positive integer", std::to_string(v));
  for (auto d : c.block_out_channels) {
    if (d <= 0 || d % c.norm_num_groups != 0)
      reader.fail("block_out_channels", "channels divisible by norm_num_groups=" + std::to_string(c.norm_num_groups),
                  std::to_string(d));
    if (c.norm_type == "spatial" && d % spatial_norm_groups != 0)
      reader.fail("block_out_channels", "multiples of 32 (the decoder's SpatialNorm uses 32 groups)",
                  std::to_string(d));
  }
  c.warnings = reader.unknown_key_warnings();
  return c;
}

MoVQConfig MoVQConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

MoVQConfig MoVQConfig::kandinsky3() { return MoVQConfig{}; }

}  // namespace k3

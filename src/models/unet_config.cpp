// Parses unet/config.json. Follows diffusers models/unets/unet_kandinsky3.py (constructor arguments).
#include "src/models/unet_config.h"

#include "base/json_reader.h"
#include "src/io/model_folder.h"

namespace k3 {

namespace {
void require_positive(JsonReader& reader, const std::string& key, int64_t v) {
  if (v <= 0) reader.fail(key, "a positive integer", std::to_string(v));
}
}  // namespace

UNetConfig UNetConfig::from_json(const nlohmann::json& json, const std::string& source) {
  JsonReader reader(json, source);
  if (reader.has("_class_name")) {
    auto cls = json.at("_class_name");
    if (!cls.is_string() || cls.get<std::string>() != "Kandinsky3UNet")
      reader.fail("_class_name", "\"Kandinsky3UNet\"", cls.dump());
  }
  UNetConfig c;
  c.in_channels = reader.required_int("in_channels");
  c.time_embedding_dim = reader.required_int("time_embedding_dim");
  c.groups = reader.required_int("groups");
  c.attention_head_dim = reader.required_int("attention_head_dim");
  if (reader.has("layers_per_block") && !json.at("layers_per_block").is_number_integer())
    reader.fail("layers_per_block", "one integer (diffusers' Kandinsky3UNet cannot use a list)",
                json.at("layers_per_block").dump());
  c.layers_per_block = reader.required_int("layers_per_block");
  c.block_out_channels = reader.required_int_list("block_out_channels");
  if (reader.has("cross_attention_dim") && !json.at("cross_attention_dim").is_number_integer())
    reader.fail("cross_attention_dim", "one integer", json.at("cross_attention_dim").dump());
  c.cross_attention_dim = reader.required_int("cross_attention_dim");
  c.encoder_hid_dim = reader.required_int("encoder_hid_dim");
  c.output_channels = reader.optional_int("out_channels", 0);

  require_positive(reader, "in_channels", c.in_channels);
  require_positive(reader, "time_embedding_dim", c.time_embedding_dim);
  require_positive(reader, "groups", c.groups);
  require_positive(reader, "attention_head_dim", c.attention_head_dim);
  require_positive(reader, "cross_attention_dim", c.cross_attention_dim);
  require_positive(reader, "encoder_hid_dim", c.encoder_hid_dim);
  if (reader.has("out_channels")) require_positive(reader, "out_channels", c.output_channels);
  if (c.layers_per_block < 2)
    reader.fail("layers_per_block", "an integer >= 2 (each level has a first and a last ResNet pair)",
                std::to_string(c.layers_per_block));
  if (c.block_out_channels.size() != c.add_cross_attention.size())
    reader.fail("block_out_channels", std::to_string(c.add_cross_attention.size()) +
                                          " levels (Kandinsky3UNet hard-codes its attention per level)",
                std::to_string(c.block_out_channels.size()) + " levels");
  if (c.block_out_channels[0] % 2 != 0 || c.block_out_channels[0] < 2)
    reader.fail("block_out_channels", "an even first entry (init channels = first / 2)",
                std::to_string(c.block_out_channels[0]));
  // Every GroupNorm divides its channels into `groups`; every attention splits channels into heads.
  std::vector<int64_t> dims = {c.init_channels()};
  dims.insert(dims.end(), c.block_out_channels.begin(), c.block_out_channels.end());
  for (auto d : dims) {
    if (d <= 0 || d % c.groups != 0)
      reader.fail("block_out_channels", "channel counts divisible by groups=" + std::to_string(c.groups),
                  std::to_string(d));
    if (d % c.attention_head_dim != 0 && d != c.init_channels())
      reader.fail("block_out_channels",
                  "channel counts divisible by attention_head_dim=" + std::to_string(c.attention_head_dim),
                  std::to_string(d));
  }
  if (c.time_embedding_dim % c.attention_head_dim != 0)
    reader.fail("time_embedding_dim", "a multiple of attention_head_dim", std::to_string(c.time_embedding_dim));
  c.warnings = reader.unknown_key_warnings();
  return c;
}

UNetConfig UNetConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

UNetConfig UNetConfig::kandinsky3() { return UNetConfig{}; }

}  // namespace k3

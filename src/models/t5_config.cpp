// Follows transformers models/t5/configuration_t5.py (T5Config.__init__).
#include "src/models/t5_config.h"

#include "base/json_reader.h"
#include "src/io/model_folder.h"

#include <algorithm>

namespace k3 {

namespace {
// In the order of T5Activation.
const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"relu", "silu", "gelu_new", "gelu", "gelu_pytorch_tanh"};
  return names;
}
}  // namespace

const std::string& t5_activation_name(T5Activation activation) {
  return activation_names()[static_cast<std::size_t>(activation)];
}

T5EncoderConfig T5EncoderConfig::from_json(const nlohmann::json& json, const std::string& file) {
  JsonReader reader(json, file);
  T5EncoderConfig config;
  config.vocab_size = reader.required_int("vocab_size");
  config.d_model = reader.required_int("d_model");
  config.d_kv = reader.required_int("d_kv");
  config.d_ff = reader.required_int("d_ff");
  config.num_layers = reader.required_int("num_layers");
  config.num_heads = reader.required_int("num_heads");
  config.relative_attention_num_buckets = reader.optional_int("relative_attention_num_buckets", 32);
  config.relative_attention_max_distance = reader.optional_int("relative_attention_max_distance", 128);
  config.layer_norm_epsilon = reader.optional_double("layer_norm_epsilon", 1e-6);
  config.feed_forward_proj = reader.optional_string("feed_forward_proj", "relu");
  config.pad_token_id = reader.optional_int("pad_token_id", 0);
  config.eos_token_id = reader.optional_int("eos_token_id", 1);

  // "gated-silu" -> gated, silu; "relu" -> not gated, relu; "gated-gelu" -> gelu_new (T5 v1.1).
  const std::string& proj = config.feed_forward_proj;
  const auto dash = proj.find('-');
  std::string activation;
  if (dash == std::string::npos) {
    config.is_gated_act = false;
    activation = proj;
  } else {
    if (proj.substr(0, dash) != "gated" || proj.find('-', dash + 1) != std::string::npos)
      reader.fail("feed_forward_proj", "'{ACT_FN}' or 'gated-{ACT_FN}'", "'" + proj + "'");
    config.is_gated_act = true;
    activation = proj.substr(dash + 1);
  }
  if (proj == "gated-gelu") activation = "gelu_new";
  // PretrainedConfig sets the remaining file keys as attributes after the derivation above,
  // so explicit dense_act_fn / is_gated_act in the file win.
  activation = reader.optional_string("dense_act_fn", activation);
  config.is_gated_act = reader.optional_bool("is_gated_act", config.is_gated_act);
  if (activation == "swish") activation = "silu";
  const auto& names = activation_names();
  const auto known = std::find(names.begin(), names.end(), activation);
  if (known == names.end())
    reader.fail("dense_act_fn", "one of relu, silu, gelu_new, gelu, gelu_pytorch_tanh", "'" + activation + "'");
  config.dense_act_fn = static_cast<T5Activation>(known - names.begin());
  // The values read (optional keys may be absent from the file: their defaults are checked too).
  const std::pair<const char*, int64_t> sizes[] = {
      {"vocab_size", config.vocab_size}, {"d_model", config.d_model}, {"d_kv", config.d_kv}, {"d_ff", config.d_ff},
      {"num_layers", config.num_layers}, {"num_heads", config.num_heads},
      {"relative_attention_num_buckets", config.relative_attention_num_buckets},
      {"relative_attention_max_distance", config.relative_attention_max_distance}};
  for (const auto& [key, value] : sizes)
    if (value <= 0) reader.fail(key, "a positive integer", std::to_string(value));
  // Decoder, training and bookkeeping keys of a full T5 config: irrelevant for the encoder.
  reader.ignore({"architectures", "classifier_dropout", "decoder_start_token_id", "dropout_rate", "initializer_factor",
                 "is_encoder_decoder", "model_type", "n_positions", "num_decoder_layers", "output_past",
                 "tie_word_embeddings", "torch_dtype", "transformers_version", "use_cache", "task_specific_params",
                 "gradient_checkpointing", "bos_token_id", "id2label", "label2id"});
  config.warnings = reader.unknown_key_warnings();
  return config;
}

T5EncoderConfig T5EncoderConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

nlohmann::json T5EncoderConfig::to_json() const {
  return {{"architectures", {"T5EncoderModel"}},
          {"vocab_size", vocab_size},
          {"d_model", d_model},
          {"d_kv", d_kv},
          {"d_ff", d_ff},
          {"num_layers", num_layers},
          {"num_heads", num_heads},
          {"relative_attention_num_buckets", relative_attention_num_buckets},
          {"relative_attention_max_distance", relative_attention_max_distance},
          {"layer_norm_epsilon", layer_norm_epsilon},
          {"feed_forward_proj", feed_forward_proj},
          {"dense_act_fn", t5_activation_name(dense_act_fn)},
          {"is_gated_act", is_gated_act},
          {"pad_token_id", pad_token_id},
          {"eos_token_id", eos_token_id},
          {"model_type", "t5"}};
}

T5EncoderConfig T5EncoderConfig::flan_ul2() {
  T5EncoderConfig config;
  config.vocab_size = 32128;
  config.d_model = 4096;
  config.d_kv = 256;
  config.d_ff = 16384;
  config.num_layers = 32;
  config.num_heads = 16;
  config.relative_attention_num_buckets = 32;
  config.relative_attention_max_distance = 128;
  config.layer_norm_epsilon = 1e-6;
  config.feed_forward_proj = "gated-silu";
  config.dense_act_fn = T5Activation::Silu;
  config.is_gated_act = true;
  return config;
}

}  // namespace k3

#pragma once
// The T5 encoder's hyper-parameters, read from text_encoder/config.json.
// Follows transformers models/t5/configuration_t5.py (defaults, feed_forward_proj parsing).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace k3 {

// The feed-forward activation, an enum after validation: relu, silu (or swish), gelu_new, gelu,
// gelu_pytorch_tanh in files.
enum class T5Activation { Relu, Silu, GeluNew, Gelu, GeluPytorchTanh };
const std::string& t5_activation_name(T5Activation activation);

struct T5EncoderConfig {
  int64_t vocab_size = 32128;
  int64_t d_model = 512;
  int64_t d_kv = 64;
  int64_t d_ff = 2048;
  int64_t num_layers = 6;
  int64_t num_heads = 8;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  double layer_norm_epsilon = 1e-6;
  std::string feed_forward_proj = "relu";
  T5Activation dense_act_fn = T5Activation::Relu;
  bool is_gated_act = false;
  int64_t pad_token_id = 0;
  int64_t eos_token_id = 1;
  std::vector<std::string> warnings;  // unknown keys

  // `file` names the source in errors. Missing required keys (vocab_size, d_model, d_kv, d_ff,
  // num_layers, num_heads) or unsupported activations throw ConfigError.
  static T5EncoderConfig from_json(const nlohmann::json& json, const std::string& file);
  static T5EncoderConfig from_file(const std::string& path);
  nlohmann::json to_json() const;
  // The FLAN-UL2 encoder of kandinsky-community/kandinsky-3 (specs/kandinsky3.md 1.5).
  static T5EncoderConfig flan_ul2();
};

}  // namespace k3

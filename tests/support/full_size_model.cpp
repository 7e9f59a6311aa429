// The full-size folder as tests/core/test_inspect.cpp first wrote it (configs from specs/kandinsky3.md).
#include "tests/support/full_size_model.h"

#include "src/models/movq.h"
#include "src/models/movq_config.h"
#include "src/io/safetensors.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/t5_encoder.h"
#include "src/models/unet.h"
#include "src/models/unet_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

namespace {

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Header entries for every parameter/buffer of `module`, float16 except keys `keep_fp32` accepts.
std::vector<k3::TensorToWrite> header_of(const torch::nn::Module& module,
                                         const std::function<bool(const std::string&)>& keep_fp32) {
  std::vector<k3::TensorToWrite> out;
  for (const auto& item : module.named_parameters())
    out.push_back({item.key(), keep_fp32(item.key()) ? k3::DType::F32 : k3::DType::F16, item.value().sizes().vec(), nullptr});
  for (const auto& item : module.named_buffers())
    out.push_back({item.key(), k3::DType::F16, item.value().sizes().vec(), nullptr});
  return out;
}

// The kandinsky-community/kandinsky-3 layout (fp16 variant only, text encoder in 5 shards with
// the variant inserted before .json), configs as specs/kandinsky3.md section 1 gives them.
void write_full_size_folder_impl(const std::string& dir, const std::string& tokenizer_dir) {
  write_text(dir + "/model_index.json", R"({"_class_name": "Kandinsky3Pipeline", "_diffusers_version": "0.24.0.dev0",
    "movq": ["diffusers", "VQModel"], "scheduler": ["diffusers", "DDPMScheduler"],
    "tokenizer": ["transformers", "T5Tokenizer"], "text_encoder": ["transformers", "T5EncoderModel"], "unet": ["diffusers", "Kandinsky3UNet"]})");
  for (const char* sub : {"unet", "movq", "text_encoder", "scheduler"}) std::filesystem::create_directories(dir + "/" + sub);
  const nlohmann::json unet_json = R"({"_class_name": "Kandinsky3UNet", "_diffusers_version": "0.24.0.dev0",
    "attention_head_dim": 64, "block_out_channels": [384, 768, 1536, 3072], "cross_attention_dim": 4096,
    "encoder_hid_dim": 4096, "groups": 32, "in_channels": 4, "layers_per_block": 3, "time_embedding_dim": 1536})"_json;
  const nlohmann::json movq_json = R"({"_class_name": "VQModel", "_diffusers_version": "0.24.0.dev0",
    "_name_or_path": "/home/patrick/kandinsky-3/movq", "act_fn": "silu", "block_out_channels": [256, 512, 512, 1024],
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "AttnDownEncoderBlock2D"],
    "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "norm_type": "spatial",
    "num_vq_embeddings": 16384, "out_channels": 3, "sample_size": 32, "scaling_factor": 0.18215,
    "up_block_types": ["AttnUpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
    "vq_embed_dim": 4})"_json;
  auto t5_json = k3::T5EncoderConfig::flan_ul2().to_json();
  auto scheduler_json = k3::SchedulerConfig::kandinsky3().to_json();
  write_text(dir + "/unet/config.json", unet_json.dump(2));
  write_text(dir + "/movq/config.json", movq_json.dump(2));
  write_text(dir + "/text_encoder/config.json", t5_json.dump(2));
  write_text(dir + "/scheduler/scheduler_config.json", scheduler_json.dump(2));
  // The tokenizer has no weights: the tiny model's T5 tokenizer files stand in for the real ones.
  std::filesystem::copy(tokenizer_dir, dir + "/tokenizer", std::filesystem::copy_options::recursive);

  auto no_fp32 = [](const std::string&) { return false; };
  {
    k3::Kandinsky3UNet unet(k3::UNetConfig::from_json(unet_json, "unet/config.json"));
    k3::write_safetensors(dir + "/unet/diffusion_pytorch_model.fp16.safetensors", header_of(*unet, no_fp32), {{"format", "pt"}}, true);
  }
  {
    k3::VQModel movq(k3::MoVQConfig::from_json(movq_json, "movq/config.json"));
    k3::write_safetensors(dir + "/movq/diffusion_pytorch_model.fp16.safetensors", header_of(*movq, no_fp32), {{"format", "pt"}}, true);
  }
  // T5: wo stays F32 in the real "fp16" shards; five shards by order of the parameters.
  k3::T5Encoder t5(k3::T5EncoderConfig::from_json(t5_json, "text_encoder/config.json"));
  auto entries = header_of(*t5, [](const std::string& key) { return key.find(".wo.") != std::string::npos; });
  nlohmann::json weight_map = nlohmann::json::object();
  const std::size_t shards = 5;
  for (std::size_t s = 0; s < shards; ++s) {
    const std::size_t begin = entries.size() * s / shards, end = entries.size() * (s + 1) / shards;
    char name[64];
    std::snprintf(name, sizeof(name), "model.fp16-%05zu-of-%05zu.safetensors", s + 1, shards);
    std::vector<k3::TensorToWrite> part(entries.begin() + static_cast<long>(begin), entries.begin() + static_cast<long>(end));
    for (const auto& entry : part) weight_map[entry.name] = name;
    k3::write_safetensors(dir + "/text_encoder/" + name, part, {{"format", "pt"}}, true);
  }
  write_text(dir + "/text_encoder/model.safetensors.index.fp16.json",
                       nlohmann::json({{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}).dump(2));
}

}  // namespace

namespace k3::test {

void write_full_size_kandinsky3(const std::string& dir, const std::string& tokenizer_dir) {
  std::filesystem::create_directories(dir);
  write_full_size_folder_impl(dir, tokenizer_dir);
}

}  // namespace k3::test

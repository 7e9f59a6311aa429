// Follows diffusers pipeline_utils.py (from_pretrained) for the folder layout and class checks.
#include "src/kandinsky3_models.h"

#include "src/errors.h"
#include "src/model_folder.h"
#include "src/t5_config.h"
#include "src/weights.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace k3 {

namespace {
void expect_class(const ModelFolder& folder, const std::string& component, const std::string& expected) {
  const auto got = folder.class_name(component);
  if (got != expected)
    throw ConfigError(folder.dir() + "/model_index.json: component '" + component + "': expected class " + expected +
                      ", got " + got);
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}
}  // namespace

Kandinsky3Models Kandinsky3Models::load(const ModelLoadOptions& options) {
  auto folder = ModelFolder::open(options.model_dir, options.variant);
  expect_class(folder, "unet", "Kandinsky3UNet");
  expect_class(folder, "movq", "VQModel");
  Kandinsky3Models models;

  auto unet_config = UNetConfig::from_json(folder.config("unet"), folder.config_path("unet"));
  append(models.warnings, unet_config.warnings);
  models.unet = Kandinsky3UNet(unet_config);
  load_weights_strict(*models.unet, WeightStore::open_files(folder.weight_files("unet")), "unet", options.dtype,
                      options.device);
  models.unet->eval();
  const auto null_file = folder.path("unet") + "/" + kNullEmbeddingFile;
  if (std::filesystem::exists(null_file)) {
    auto store = WeightStore::open_files({null_file});
    const auto& record = store.record(kNullEmbeddingKey);
    if (record.numel() != unet_config.cross_attention_dim)
      throw WeightError(null_file + ": expected " + std::string(kNullEmbeddingKey) + " of " +
                        std::to_string(unet_config.cross_attention_dim) + " values, got " + shape_to_string(record.shape));
    models.null_embedding = store.tensor(kNullEmbeddingKey, options.dtype, options.device).reshape({-1}).clone();
  }

  auto movq_config = MoVQConfig::from_json(folder.config("movq"), folder.config_path("movq"));
  append(models.warnings, movq_config.warnings);
  auto movq_store = WeightStore::open_files(folder.weight_files("movq"));
  // The codebook is unused by the pipelines; accept checkpoints without it (spec section 9, question 2).
  models.movq = VQModel(movq_config, movq_store.contains("quantize.embedding.weight"));
  load_weights_strict(*models.movq, movq_store, "movq", options.dtype, options.device);
  models.movq->eval();

  models.scheduler = SchedulerConfig::from_file(folder.config_path("scheduler"));
  append(models.warnings, models.scheduler.warnings);

  if (options.load_text_encoder) {
    auto t5_config = T5EncoderConfig::from_file(folder.config_path("text_encoder"));
    T5Encoder encoder(t5_config);
    encoder->load(WeightStore::open_files(folder.weight_files("text_encoder")), options.dtype, options.device);
    encoder->eval();
    models.prompt_encoder = std::make_unique<PromptEncoder>(T5Tokenizer::load(folder.path("tokenizer")), encoder);
  }
  return models;
}

torch::Device parse_device(const std::string& name) {
  const auto n = lower(name);
  if (n == "cpu") return torch::kCPU;
  if (n.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw ConfigError("device '" + name + "': expected a CUDA build of libtorch with a GPU, got none available");
    try {
      return torch::Device(n);
    } catch (const c10::Error&) {
      throw ConfigError("device: expected cpu, cuda or cuda:N, got '" + name + "'");
    }
  }
  throw ConfigError("device: expected cpu, cuda or cuda:N, got '" + name + "'");
}

torch::ScalarType parse_dtype(const std::string& name, const torch::Device& device) {
  const auto n = lower(name);
  if (n == "fp32" || n == "float32" || n == "float") return torch::kFloat;
  if (n == "bf16" || n == "bfloat16") return torch::kBFloat16;
  if (n == "fp16" || n == "float16" || n == "half") {
    if (device.is_cpu())
      throw ConfigError("dtype fp16: expected a CUDA device (libtorch's CPU convolutions have no float16), got cpu; "
                        "use fp32 or bf16 on the CPU");
    return torch::kHalf;
  }
  throw ConfigError("dtype: expected fp32, bf16 or fp16, got '" + name + "'");
}

}  // namespace k3

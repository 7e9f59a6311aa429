// Follows diffusers pipeline_utils.py (from_pretrained) for the folder layout and class checks.
#include "src/models/kandinsky3_models.h"
#include "base/text.h"

#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/models/t5_config.h"
#include "src/models/t5_streamed.h"
#include "src/io/weights.h"

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
void append(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}
}  // namespace

void Kandinsky3Models::check_classes(const ModelFolder& folder) {
  expect_class(folder, "unet", "Kandinsky3UNet");
  expect_class(folder, "movq", "VQModel");
}

Kandinsky3Models Kandinsky3Models::load(const ModelLoadOptions& options) {
  auto folder = ModelFolder::open(options.model_dir, options.variant);
  check_classes(folder);
  Kandinsky3Models models;
  if (options.load_text_encoder)
    models.prompt_encoder =
        open_prompt_encoder(folder, options.device, text_encoder_dtype(options.device, options.dtype), true);
  models.load_image_models(folder, options);
  return models;
}

std::unique_ptr<TextEncoder> Kandinsky3Models::open_text_encoder(const ModelFolder& folder, torch::Device device,
                                                                 torch::ScalarType text_dtype) {
  auto t5_config = T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  auto store = std::make_shared<const WeightStore>(WeightStore::open_files(folder.weight_files("text_encoder")));
  return std::make_unique<StreamedT5Encoder>(std::move(t5_config), std::move(store), text_dtype, device);
}

std::unique_ptr<PromptEncoder> Kandinsky3Models::open_prompt_encoder(const ModelFolder& folder, torch::Device device,
                                                                     torch::ScalarType text_dtype, bool with_encoder) {
  std::unique_ptr<TextEncoder> encoder;
  if (with_encoder) encoder = open_text_encoder(folder, device, text_dtype);
  return std::make_unique<PromptEncoder>(T5Tokenizer::load(folder.path("tokenizer")), std::move(encoder), text_dtype,
                                         device);
}

void Kandinsky3Models::load_image_models(const ModelFolder& folder, const ModelLoadOptions& options) {
  // With offloading the weights load into host memory first; the Offloader then moves the small
  // parts to the device and the heavy ones only while they work.
  const bool offloading = options.offload != OffloadMode::None && options.device.is_cuda();
  // On the CPU only model offload exists: the UNet's blocks are re-read from their file (src/pipeline/offload.h).
  const bool file_backed = options.offload == OffloadMode::Model && options.device.is_cpu();
  const torch::Device load_device = offloading ? torch::Device(torch::kCPU) : options.device;
  auto unet_config = UNetConfig::from_json(folder.config("unet"), folder.config_path("unet"));
  append(warnings, unet_config.warnings);
  unet = Kandinsky3UNet(unet_config);
  auto unet_store = std::make_shared<const WeightStore>(WeightStore::open_files(folder.weight_files("unet")));
  load_weights_strict(*unet, *unet_store, "unet", options.dtype, load_device);
  unet->eval();
  const auto null_file = folder.path("unet") + "/" + kNullEmbeddingFile;
  if (std::filesystem::exists(null_file)) {
    auto store = WeightStore::open_files({null_file});
    const auto& record = store.record(kNullEmbeddingKey);
    if (record.numel() != unet_config.cross_attention_dim)
      throw WeightError(null_file + ": expected " + std::string(kNullEmbeddingKey) + " of " +
                        std::to_string(unet_config.cross_attention_dim) + " values, got " + shape_to_string(record.shape));
    null_embedding = store.tensor(kNullEmbeddingKey, options.dtype, options.device).reshape({-1}).clone();
  }

  auto movq_config = MoVQConfig::from_json(folder.config("movq"), folder.config_path("movq"));
  append(warnings, movq_config.warnings);
  auto movq_store = WeightStore::open_files(folder.weight_files("movq"));
  // The codebook is unused by the pipelines; accept checkpoints without it (spec section 9, question 2).
  movq = VQModel(movq_config, movq_store.contains("quantize.embedding.weight"));
  load_weights_strict(*movq, movq_store, "movq", options.dtype, load_device);
  movq->eval();
  if (offloading) offloader = std::make_shared<Offloader>(options.offload, options.device, unet, movq);
  if (file_backed)
    offloader = std::make_shared<Offloader>(options.offload, options.device, unet, movq, unet_store, options.dtype);

  scheduler = SchedulerConfig::from_file(folder.config_path("scheduler"));
  append(warnings, scheduler.warnings);
}

torch::ScalarType text_encoder_dtype(const torch::Device& device, torch::ScalarType image_dtype) {
  return device.is_cpu() ? torch::kFloat : image_dtype;
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
  if (n == "auto") return device.is_cpu() ? torch::kFloat : torch::kHalf;
  if (n == "fp32" || n == "float32" || n == "float") return torch::kFloat;
  if (n == "bf16" || n == "bfloat16") return torch::kBFloat16;
  if (n == "fp16" || n == "float16" || n == "half") {
    if (device.is_cpu())
      throw ConfigError("dtype fp16: expected a CUDA device (libtorch's CPU convolutions have no float16), got cpu; "
                        "use fp32 or bf16 on the CPU");
    return torch::kHalf;
  }
  throw ConfigError("dtype: expected auto, fp32, bf16 or fp16, got '" + name + "'");
}

}  // namespace k3

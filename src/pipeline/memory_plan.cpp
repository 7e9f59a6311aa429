// Memory planning in the spirit of diffusers' offload helpers and accelerate's infer_auto_device_map
// (utils/modeling.py: sizes from the checkpoint, compared with what each device has free).
#include "src/pipeline/memory_plan.h"
#include "src/public/runtime.h"

#include "src/public/model_canvas.h"

#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/models/movq_config.h"
#include "src/io/safetensors.h"
#include "src/models/t5_config.h"
#include "src/models/t5_encoder.h"
#include "src/models/unet_config.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace k3 {

namespace {

int64_t element_bytes(torch::ScalarType type) { return static_cast<int64_t>(c10::elementSize(type)); }

std::string dtype_label(torch::ScalarType type) {
  switch (type) {
    case torch::kHalf: return "fp16";
    case torch::kBFloat16: return "bf16";
    default: return "fp32";
  }
}

// Parameters of every tensor of a component, grouped by `group_of(name)` ("" = ungrouped).
struct ComponentSizes {
  int64_t parameters = 0;
  int64_t bytes = 0;
  std::map<std::string, int64_t> group_bytes;
  int64_t largest_group() const {
    int64_t best = 0;
    for (const auto& entry : group_bytes) best = std::max(best, entry.second);
    return best;
  }
};

template <typename BytesOf, typename GroupOf>
ComponentSizes measure(const ModelFolder& folder, const std::string& component, BytesOf bytes_of, GroupOf group_of) {
  ComponentSizes sizes;
  for (const auto& path : folder.weight_files(component)) {
    const auto file = SafetensorsFile::open(path);  // held: the records live in it
    for (const auto& [name, record] : file->tensors()) {
      const int64_t bytes = bytes_of(name, record.numel());
      sizes.parameters += record.numel();
      sizes.bytes += bytes;
      const std::string group = group_of(name);
      if (!group.empty()) sizes.group_bytes[group] += bytes;
    }
  }
  return sizes;
}

// "encoder.block.7.layer..." -> "encoder.block.7."; "down_blocks.2.x" -> "down_blocks.2."
std::string prefix_with_index(const std::string& name, const std::string& head) {
  if (name.rfind(head, 0) != 0) return {};
  const auto dot = name.find('.', head.size());
  return dot == std::string::npos ? std::string{} : name.substr(0, dot + 1);
}

// Parameters and bytes of loose weight files in a dtype of `element` bytes: safetensors by their
// headers; anything else (a pickled float32 `.bin`) by its size.
ComponentSizes measure_files(const std::vector<std::string>& paths, int64_t element) {
  ComponentSizes sizes;
  for (const auto& path : paths) {
    if (path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0) {
      const auto file = SafetensorsFile::open(path);
      for (const auto& [name, record] : file->tensors()) sizes.parameters += record.numel();
    } else {
      sizes.parameters += static_cast<int64_t>(std::filesystem::file_size(path)) / 4;
    }
  }
  sizes.bytes = sizes.parameters * element;
  return sizes;
}

// T5 encoder parameters and bytes by its config (transformers' T5Stack layout): the token table,
// per block q/k/v/o, wi(_0, _1)/wo and two norms, block 0's relative bias, the final norm.
ComponentSizes t5_sizes(const T5EncoderConfig& c, torch::ScalarType dtype) {
  const int64_t inner = c.num_heads * c.d_kv;
  const int64_t attention = 4 * c.d_model * inner;
  const int64_t wi = (c.is_gated_act ? 2 : 1) * c.d_model * c.d_ff, wo = c.d_ff * c.d_model;
  const int64_t bytes = element_bytes(dtype), wo_bytes = element_bytes(t5_weight_dtype(".wo.weight", dtype));
  ComponentSizes sizes;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const int64_t bias = i == 0 ? c.relative_attention_num_buckets * c.num_heads : 0;
    const int64_t block_bytes = (attention + wi + 2 * c.d_model + bias) * bytes + wo * wo_bytes;
    sizes.parameters += attention + wi + wo + 2 * c.d_model + bias;
    sizes.bytes += block_bytes;
    sizes.group_bytes["block." + std::to_string(i)] = block_bytes;
  }
  sizes.parameters += c.vocab_size * c.d_model + c.d_model;
  sizes.bytes += (c.vocab_size * c.d_model + c.d_model) * bytes;
  return sizes;
}

// The largest live tensors of one UNet forward (batch 2 under guidance) and of a MoVQ decode at
// width x height, by the configs. Fitted to bench_pipeline_full's stage peaks on the CPU (README,
// "Memory"): the UNet about 48 feature maps of its first level plus one chunk of attention scores
// (src/nn/attention.cpp bounds a chunk to 64 Mi elements, probabilities beside it; fp32 CPU, above
// the loaded weights: 0.4 GiB at 256 px, 0.8 at 512, 2.9 at 1024); MoVQ's
// decoder about 10 maps of its full-resolution level (the 2x upsampled maps of the level below
// are twice as wide), and it dominates above 256 px. On CUDA (fused attention) both stay below
// these: at 1024 px fp16 an H200 measured 0.24 GiB for the UNet and 4.5 GiB for the decode.
struct ActivationBytes {
  int64_t unet = 0;
  int64_t movq = 0;
};

ActivationBytes activation_bytes(const UNetConfig& unet, const MoVQConfig& movq, int width, int height,
                                 torch::ScalarType dtype) {
  const int64_t b = element_bytes(dtype);
  const int64_t factor = movq.downscale_factor();
  const ModelCanvas canvas =
      model_canvas(width, height, model_size_multiple(static_cast<int>(factor), static_cast<int>(unet.levels())));
  const int64_t ph = canvas.height, pw = canvas.width;
  const int64_t lh = ph / factor, lw = pw / factor;
  const int64_t batch = 2;
  const int64_t attention_chunk = 2 * (int64_t{1} << 26) * std::max<int64_t>(b, 4);
  return {48 * batch * lh * lw * unet.block_out_channels.front() * b + attention_chunk,
          10 * ph * pw * movq.block_out_channels.front() * b + attention_chunk};
}

int64_t read_number(const std::string& path, const std::string& key = "") {
  std::ifstream in(path);
  if (!in) return -1;
  std::string word;
  if (key.empty()) {
    in >> word;
    if (word.empty() || word == "max") return -1;
    try {
      return std::stoll(word);
    } catch (const std::exception&) {
      return -1;
    }
  }
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size())) * 1024;  // "MemAvailable:  123 kB"
  return -1;
}

int64_t cuda_free_bytes(const torch::Device& device) {
  // Through the CUDA runtime libtorch already loaded (no CUDA headers needed at build time).
  using MemGetInfo = int (*)(std::size_t*, std::size_t*);
  using SetDevice = int (*)(int);
  auto get_info = reinterpret_cast<MemGetInfo>(::dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
  auto set_device = reinterpret_cast<SetDevice>(::dlsym(RTLD_DEFAULT, "cudaSetDevice"));
  if (!get_info || !set_device) return -1;
  if (set_device(device.has_index() ? device.index() : 0) != 0) return -1;
  std::size_t free_bytes = 0, total = 0;
  if (get_info(&free_bytes, &total) != 0) return -1;
  return static_cast<int64_t>(free_bytes);
}

}  // namespace

int64_t available_memory(const torch::Device& device) {
  if (device.is_cuda()) return cuda_free_bytes(device);
  int64_t available = read_number("/proc/meminfo", "MemAvailable:");
  // A container's limit (cgroup v2, then v1) bounds what the kernel would give this process.
  for (const auto& [limit_file, usage_file] :
       {std::pair<const char*, const char*>{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    const int64_t limit = read_number(limit_file), usage = read_number(usage_file);
    if (limit > 0 && usage >= 0 && limit < (int64_t{1} << 60)) {
      const int64_t room = std::max<int64_t>(0, limit - usage);
      available = available < 0 ? room : std::min(available, room);
      break;
    }
  }
  return available;
}

MemoryPlan plan_memory(const ModelFolder& folder, const PlanRequest& request) {
  MemoryPlan plan;
  plan.device = request.device.str();
  plan.offload = request.device.is_cuda() || request.offload == OffloadMode::Model ? request.offload : OffloadMode::None;
  const auto image_bytes = element_bytes(request.image_dtype);
  const auto text_dtype = request.text_dtype;

  auto unet = measure(
      folder, "unet", [&](const std::string&, int64_t n) { return n * image_bytes; },
      [](const std::string& name) {
        auto group = prefix_with_index(name, "down_blocks.");
        return group.empty() ? prefix_with_index(name, "up_blocks.") : group;
      });
  auto movq = measure(
      folder, "movq", [&](const std::string&, int64_t n) { return n * image_bytes; },
      [](const std::string& name) { return name.rfind("decoder.", 0) == 0 ? std::string("decoder") : std::string{}; });

  // The text encoder from its config alone: a resumed run with its prompt embeddings saved never
  // opens the shards, so the plan must not need them either.
  const auto t5_config = T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  const auto text = t5_sizes(t5_config, text_dtype);
  // One streamed block plus activations for 64 prompts of 128 tokens.
  const int64_t t5_activations = 64 * 128 * t5_config.d_ff * 4 * 3;
  const std::string t5_label = dtype_label(text_dtype) + (text_dtype == torch::kHalf ? " (wo fp32)" : "");
  plan.components.push_back({"text_encoder", t5_label, text.parameters, text.bytes, text.largest_group()});
  plan.text_phase = text.largest_group() + t5_activations;

  const auto unet_config = UNetConfig::from_json(folder.config("unet"), folder.config_path("unet"));
  const auto movq_config = MoVQConfig::from_json(folder.config("movq"), folder.config_path("movq"));
  const auto activations = activation_bytes(unet_config, movq_config, request.width, request.height, request.image_dtype);
  plan.activations = std::max(activations.unet, activations.movq);
  // The CPU knows model offload only (the UNet's blocks re-read from their file).
  const bool offloading = request.offload != OffloadMode::None &&
                          (request.device.is_cuda() || request.offload == OffloadMode::Model);
  int64_t unet_resident = unet.bytes, movq_resident = movq.bytes;
  if (offloading) {
    const int64_t unet_small = unet.bytes - [&] {
      int64_t blocks = 0;
      for (const auto& entry : unet.group_bytes) blocks += entry.second;
      return blocks;
    }();
    // Model: one heavy component at a time; sequential: one UNet block at a time. Each phase
    // holds its own activations only: the denoising loop the UNet's, encode/decode MoVQ's.
    const int64_t unet_heavy = request.offload == OffloadMode::Sequential ? unet.largest_group() : unet.bytes - unet_small;
    unet_resident = unet_small + unet_heavy;
    movq_resident = movq.bytes;
    plan.image_phase = std::max(unet_resident + activations.unet, unet_small + movq_resident + activations.movq);
  } else if (request.device.is_cuda() && cuda_graphs()) {
    // The UNet's CUDA graph keeps its activations' memory pool through the MoVQ phases.
    plan.image_phase = unet.bytes + movq.bytes + activations.unet + activations.movq;
  } else {
    plan.image_phase = unet.bytes + movq.bytes + plan.activations;
  }
  // Extras (a depth model) stay on the device through every phase of the image making.
  int64_t extra_bytes = 0;
  for (const auto& extra : request.extras) {
    const auto sizes = measure_files(extra.weight_files, image_bytes);
    plan.components.push_back({extra.name, dtype_label(request.image_dtype), sizes.parameters, sizes.bytes, sizes.bytes});
    extra_bytes += sizes.bytes;
  }
  plan.image_phase += extra_bytes;
  plan.components.push_back({"unet", dtype_label(request.image_dtype), unet.parameters, unet.bytes, unet_resident});
  plan.components.push_back({"movq", dtype_label(request.image_dtype), movq.parameters, movq.bytes, movq_resident});

  plan.available = available_memory(request.device);
  if (request.limit_bytes > 0)
    plan.available = plan.available < 0 ? request.limit_bytes : std::min(plan.available, request.limit_bytes);
  return plan;
}

std::string MemoryPlan::summary() const {
  std::string out = device + ": needs " + format_bytes(needed()) + " (";
  for (const auto& c : components)
    out += c.name + " " + c.dtype + " " + format_bytes(c.resident) + (c.resident < c.bytes ? " of " + format_bytes(c.bytes) : "") + ", ";
  out += "activations " + format_bytes(activations) + "), ";
  out += available < 0 ? "available unknown" : format_bytes(available) + " available";
  return out;
}

void require_fit(const MemoryPlan& plan) {
  if (plan.fits()) return;
  const bool cuda = plan.device.rfind("cuda", 0) == 0;
  throw ResourceError("memory plan: expected a plan within the memory available, got " + plan.summary() +
                      (!cuda ? (plan.offload == OffloadMode::None ? "; try --offload model, --dtype bf16, a smaller size, or a machine with more memory"
                                                  : "; try --dtype bf16, a smaller size, or a machine with more memory")
                       : plan.offload == OffloadMode::Sequential ? "; try a smaller size"
                       : plan.offload == OffloadMode::Model     ? "; try --offload sequential or a smaller size"
                                                                : "; try --offload model or sequential, or a smaller size"));
}

}  // namespace k3

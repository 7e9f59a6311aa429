#pragma once
// The memory plan of a Kandinsky 3 job: which component sits where, in which dtype, how many
// bytes each takes, and the peak of each phase (text encoding, then image making), checked
// against what the device has before anything large is allocated. Weight sizes come from the
// safetensors headers (nothing is read); activations from a model of the largest live tensors,
// calibrated by bench_pipeline_full (README, "Memory").
#include "base/byte_size.h"
#include "src/pipeline/offload.h"
#include "src/public/plan_extras.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace k3 {

class ModelFolder;

struct PlanRequest {
  torch::Device device = torch::kCPU;
  torch::ScalarType image_dtype = torch::kFloat;  // UNet and MoVQ
  torch::ScalarType text_dtype = torch::kFloat;   // T5 (its `wo` stays float32 under float16)
  OffloadMode offload = OffloadMode::None;
  int width = 1024, height = 1024;  // the largest picture of the job
  int64_t limit_bytes = 0;          // > 0: use at most this much (the user's --memory-limit)
  std::vector<ExtraComponent> extras;
};

struct PlannedComponent {
  std::string name;     // "text_encoder", "unet", "movq"
  std::string dtype;    // "fp32", "bf16", "fp16", "fp16 (wo fp32)"
  int64_t parameters = 0;
  int64_t bytes = 0;    // all its weights in that dtype
  int64_t resident = 0; // what it holds on the device at its peak (a streamed T5: one block)
};

struct MemoryPlan {
  std::string device;
  OffloadMode offload = OffloadMode::None;
  std::vector<PlannedComponent> components;
  int64_t text_phase = 0;   // peak while prompts are encoded (T5 streamed)
  int64_t image_phase = 0;  // peak while frames are made (UNet + MoVQ + activations)
  int64_t activations = 0;  // the image phase's activation estimate at the request's size
  int64_t available = -1;   // bytes the device can give; -1 = unknown (no check then)
  int64_t needed() const { return std::max(text_phase, image_phase); }
  bool fits() const { return available < 0 || needed() <= available; }
  // One line: "cpu: needs 14.1 GiB (unet fp32 12.2 GiB, movq ..., activations ...), 21.9 GiB available".
  std::string summary() const;
};

MemoryPlan plan_memory(const ModelFolder& folder, const PlanRequest& request);
// ResourceError with the needed and available bytes (and what would make it fit) when the plan
// does not fit; nothing otherwise.
void require_fit(const MemoryPlan& plan);

// Bytes the device can still give: on the CPU the kernel's MemAvailable, bounded by a cgroup
// limit; on CUDA the driver's free memory. -1 when it cannot be told.
int64_t available_memory(const torch::Device& device);

}  // namespace k3

#pragma once
// A model the memory plan counts beside Kandinsky's own (src/pipeline/memory_plan.h); no torch here, so
// that the Generator's options can name one.
#include <string>
#include <vector>

namespace k3 {

// A small model that lives beside the UNet during the image phase (the 3D warp's depth model),
// loaded in the image dtype on the same device. Sized from its weight files: safetensors by their
// headers, a pickled `.bin` (float32) by its file size.
struct ExtraComponent {
  std::string name;
  std::vector<std::string> weight_files;
};

}  // namespace k3

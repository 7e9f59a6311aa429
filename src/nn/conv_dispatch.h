#pragma once
// Convolution with the algorithm chosen per shape by measurement. On CPU, oneDNN is 10-17x
// slower than a plain matrix product for 1x1 convolutions and for small spatial sizes with many
// channels (ENVIRONMENT.md, last section); at large spatial sizes it is the fast one, and where
// the line falls depends on the machine. So in the default (auto) mode the first call of each
// CPU shape times both algorithms (median of a few runs) and keeps the faster; the choice is
// remembered per machine and library version in a small file under the user's cache folder
// (conv_choice_cache.h). Results equal torch::conv2d up to float rounding.
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace k3 {

torch::Tensor conv2d(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x);

// ConvTranspose2d. libtorch 1.13's CPU kernel returns a wrongly shaped result for bfloat16
// ([2,8,4,4] with a 2x2 stride-2 kernel gives [2,8,2,2]): on the CPU, bfloat16 runs in float32.
torch::Tensor conv_transpose2d(const k3::nn::ConvTranspose2dImpl& conv, const torch::Tensor& x);

// auto: measured per shape (default); onednn: torch::conv2d always; matmul: the matrix-product
// path for every CPU convolution whose unfolded input stays small (else oneDNN).
enum class ConvAlgorithm { Auto, OneDNN, Matmul };
// "auto", "onednn", "matmul"; throws k3::ConfigError naming `where` otherwise.
ConvAlgorithm parse_conv_algorithm(const std::string& name, const std::string& where = "convolution algorithm");
std::string to_string(ConvAlgorithm algorithm);

// Process-wide mode. Until set, it comes from the environment variable K3_CONV_ALGO
// (auto when unset; a bad value throws k3::ConfigError at the first convolution).
void set_conv_algorithm(ConvAlgorithm algorithm);
ConvAlgorithm conv_algorithm();

// The choice file: `path` empty keeps choices in memory only. Until set: the default path
// (conv_choice_cache.h), or K3_CONV_CACHE when that is set ("off" = none). Forgets the
// choices made so far in this process.
void set_conv_choice_file(const std::string& path);
std::string conv_choice_file();

// One auto-mode decision, for reports (bench_core_unet prints them).
struct ConvChoiceReport {
  std::string shape;      // e.g. "f32 b2 3072>3072 k3 s1 p1 @4x4 t2"
  std::string algorithm;  // "onednn" or "matmul"
  double onednn_ms = 0, matmul_ms = 0;
  bool from_file = false;  // read from the choice file rather than measured now
};
// The decisions this process used, in first-use order.
std::vector<ConvChoiceReport> conv_choices();

}  // namespace k3

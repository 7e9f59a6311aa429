// `k3anim convert --from original`: the original Kandinsky 3 checkpoints (torch.save pickles) to
// a model folder in the diffusers layout this project loads. Follows diffusers
// scripts/convert_kandinsky3_unet.py (what it converts; not its code).
#include "cli/command.h"
#include "base/errors.h"
#include "src/convert/original_checkpoint.h"

#include <iostream>

namespace {

struct ConvertOptions {
  std::string from = "original";
  k3::OriginalConversion conversion;
};

k3::cli::RegisterCommand registration("convert", [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<ConvertOptions>();
  auto* sub = app.add_subcommand("convert", "Convert the original Kandinsky 3 checkpoints (*.pt) to a model folder");
  sub->add_option("--from", o->from, "source format: original (ai-forever/Kandinsky-3 weights/)")
      ->check(CLI::IsMember({"original"}));
  sub->add_option("--unet", o->conversion.unet, "kandinsky3.pt, kandinsky3_flash.pt or kandinsky3_inpainting.pt")
      ->required()->check(CLI::ExistingFile);
  sub->add_option("--projection", o->conversion.projection, "the matching projection*.pt (text projection)")
      ->required()->check(CLI::ExistingFile);
  sub->add_option("--movq", o->conversion.movq, "movq.pt")->required()->check(CLI::ExistingFile);
  sub->add_option("--text-encoder", o->conversion.text_encoder,
                  "flan_ul2_encoder/ folder (pytorch_model-*.bin, config.json, spiece.model, ...)")
      ->check(CLI::ExistingDirectory);
  sub->add_option("--unet-groups", o->conversion.unet_groups, "UNet GroupNorm groups (not in the shapes; default 32)");
  sub->add_option("--unet-attention-head-dim", o->conversion.unet_attention_head_dim,
                  "UNet attention head size (not in the shapes; default 64)");
  sub->add_option("--movq-norm-groups", o->conversion.movq_norm_groups, "MoVQ GroupNorm groups (default 32)");
  sub->add_option("-o,--output", o->conversion.output_dir, "model folder to write")->required();
  return [o] {
    const bool quiet = k3::cli::global_options().quiet;
    if (!quiet)
      o->conversion.on_tensor = [](const std::string& component, int64_t done, int64_t total) {
        std::cerr << "\r" << component << ": " << done << "/" << total << " tensors" << (done == total ? "\n" : "")
                  << std::flush;
      };
    k3::convert_original_checkpoints(o->conversion);
    if (!quiet) std::cerr << "wrote " << o->conversion.output_dir << "\n";
    return 0;
  };
});

}  // namespace

// `k3anim tokenize`: sentencepiece ids of a text, as spm_encode --output_format=id prints them.
#include "cli/command.h"
#include "src/public/sentencepiece_model.h"

#include <iostream>

namespace {
struct TokenizeOptions {
  std::string model;
  std::string text;
  bool pieces = false;
};

k3::cli::RegisterCommand registration("tokenize", [](CLI::App& app) -> std::function<int()> {
  auto options = std::make_shared<TokenizeOptions>();
  auto* sub = app.add_subcommand("tokenize", "Print the sentencepiece ids (or pieces) of a text");
  sub->add_option("--spm", options->model, "sentencepiece .model file (e.g. MODEL_DIR/tokenizer/spiece.model)")->required();
  sub->add_option("text", options->text, "text to encode")->required();
  sub->add_flag("--pieces", options->pieces, "print pieces instead of ids");
  return [options] {
    k3::SentencePieceModel model(options->model);
    if (options->pieces) {
      auto pieces = model.encode_pieces(options->text);
      for (std::size_t i = 0; i < pieces.size(); ++i) std::cout << (i ? " " : "") << pieces[i];
    } else {
      auto ids = model.encode(options->text);
      for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    }
    std::cout << "\n";
    return 0;
  };
});
}  // namespace

// The sentencepiece shim inside a process that also runs libtorch (ENVIRONMENT.md trap 1):
// a model trained with spm_train at test time must encode exactly as spm_encode does.
#include "src/public/sentencepiece_model.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <sstream>

using k3::test::run;
using k3::test::shell_quote;

namespace {
const std::vector<std::string> kTexts = {
    "",
    "a winter forest at dawn",
    "A portrait of a woman with peonies and roses, oil painting",
    "зимний лес на рассвете",
    "Москва, 2024 год: снег",
    "  leading and   inner   spaces  ",
    "tabs\tand\u00a0no-break spaces",
    "numbers 1234567890 and symbols !?#%&*()",
    "ＦＵＬＬ ｗｉｄｔｈ (needs NFKC)",
    "emoji 🌲 and 雪",
    "x",
    "unknownwordsqqqzzzxxx vvvbbb",
};

std::string corpus() {
  std::ostringstream out;
  const char* lines[] = {
      "a winter forest at dawn, snow on the pine trees",
      "a portrait of a woman with peonies and roses, oil painting, highly detailed",
      "spring forest with flowers and birds, soft light",
      "summer meadow, golden hour, cinematic",
      "autumn leaves falling in a quiet park",
      "зимний лес на рассвете, снег на соснах",
      "портрет женщины с пионами и розами",
      "numbers 0 1 2 3 4 5 6 7 8 9 and symbols ! ? # % & * ( )",
      "a castle on a hill above the sea, dramatic clouds",
      "cyberpunk city at night, neon lights, rain",
  };
  for (int repeat = 0; repeat < 20; ++repeat)
    for (const char* line : lines) out << line << "\n";
  return out.str();
}
}  // namespace

TEST_CASE("sentencepiece shim encodes like spm_encode next to libtorch", "[unit][tokenizer]") {
  if (!k3::test::command_exists("spm_train") || !k3::test::command_exists("spm_encode")) {
    k3::test::skip("spm_train/spm_encode not installed (Debian package `sentencepiece`)");
    return;
  }
  k3::test::TempDir dir("spm");
  k3::test::write_file(dir / "corpus.txt", corpus());
  auto trained = run("cd " + shell_quote(dir.path) +
                     " && spm_train --input=corpus.txt --model_prefix=m --vocab_size=120 --model_type=unigram"
                     " --character_coverage=1.0 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --num_threads=1"
                     " --normalization_rule_name=nmt_nfkc");
  REQUIRE(trained.exit_code == 0);

  // libtorch is alive and working in this very process.
  auto product = torch::ones({4, 4}).matmul(torch::ones({4, 4}));
  REQUIRE(product.sum().item<float>() == 64.0f);

  k3::SentencePieceModel model(dir / "m.model");
  CHECK(model.vocab_size() == 120);
  CHECK(model.piece_to_id("</s>") == 1);
  CHECK(model.unk_id() == 2);
  CHECK(model.id_to_piece(1) == "</s>");

  for (const auto& text : kTexts) {
    k3::test::write_file(dir / "in.txt", text + "\n");
    auto expected = run("spm_encode --model=" + shell_quote(dir / "m.model") + " --output_format=id < " + shell_quote(dir / "in.txt"));
    REQUIRE(expected.exit_code == 0);
    std::string want = expected.output;
    while (!want.empty() && (want.back() == '\n' || want.back() == ' ')) want.pop_back();
    std::string got;
    for (int id : model.encode(text)) got += (got.empty() ? "" : " ") + std::to_string(id);
    INFO("text: \"" << text << "\"");
    CHECK(got == want);
  }
  CHECK(model.encode("").empty());
}

TEST_CASE("sentencepiece model errors name the file", "[unit][tokenizer]") {
  k3::test::TempDir dir("spm-bad");
  k3::test::write_file(dir / "broken.model", "this is not a protobuf");
  try {
    k3::SentencePieceModel model(dir / "broken.model");
    FAIL("expected an error");
  } catch (const k3::FileError& e) {
    CHECK_THAT(e.what(), Catch::Contains("broken.model"));
  }
  CHECK_THROWS_AS(k3::SentencePieceModel(dir / "missing.model"), k3::FileError);
}

// `k3anim inspect` on (1) the real Kandinsky 3 configs with sparse safetensors whose headers are
// generated from the modules those configs build (real names, shapes and dtypes, no disk used),
// and (2) broken copies of the tiny model folder: each problem gives a one-line error naming the
// file (and tensor) and a non-zero exit code, never a crash.
#include "src/io/model_folder.h"
#include "src/models/movq.h"
#include "src/models/movq_config.h"
#include "src/io/safetensors.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/t5_encoder.h"
#include "src/models/unet.h"
#include "src/models/unet_config.h"
#include "src/io/weights.h"
#include "tests/support/full_size_model.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

using k3::test::run;
using k3::test::shell_quote;

namespace {

std::string inspect_command(const std::string& dir, const std::string& extra = "") {
  return shell_quote(k3::test::k3anim_path()) + " inspect --model " + shell_quote(dir) + " " + extra + " 2>&1";
}

std::string copy_tiny(const k3::test::TempDir& dir, const std::string& name) {
  const std::string target = dir / name;
  run("cp -r " + shell_quote(k3::test::fixtures_root() + "/k3-tiny") + " " + shell_quote(target));
  return target;
}

// Rewrites `path` with the same tensors (data included), after `edit` changed the entries.
void rewrite(const std::string& path, const std::function<void(std::vector<k3::TensorToWrite>&)>& edit) {
  auto file = k3::SafetensorsFile::open(path);
  std::vector<k3::TensorToWrite> entries;
  std::vector<std::vector<std::uint8_t>> buffers;
  for (const auto& [name, record] : file->tensors()) {
    buffers.emplace_back(record.data, record.data + record.nbytes);
    entries.push_back({name, record.dtype, record.shape, nullptr});
  }
  for (std::size_t i = 0; i < entries.size(); ++i) entries[i].data = buffers[i].data();
  edit(entries);
  // A changed shape or dtype needs data of the new size.
  std::vector<std::vector<std::uint8_t>> resized;
  for (auto& entry : entries) {
    int64_t numel = 1;
    for (int64_t d : entry.shape) numel *= d;
    resized.emplace_back(static_cast<std::size_t>(numel) * k3::dtype_size(entry.dtype), 0);
    std::size_t old = 0;
    for (std::size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i].data() == entry.data) old = buffers[i].size();
    std::memcpy(resized.back().data(), entry.data, std::min(old, resized.back().size()));
    entry.data = resized.back().data();
  }
  file.reset();
  k3::write_safetensors(path, entries);
}

}  // namespace

TEST_CASE("inspect: full-size Kandinsky 3 from sparse files has the spec's counts", "[unit]") {
  K3_REQUIRE_FIXTURES();  // for the tokenizer files only
  k3::test::TempDir dir("inspect_full_size");
  k3::test::write_full_size_kandinsky3(dir.path, k3::test::fixtures_root() + "/k3-tiny/tokenizer");
  const auto result = run(inspect_command(dir.path, "--json"));
  INFO(result.output.substr(0, 2000));
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.output);
  const auto& unet = report["unet"];
  const auto& movq = report["movq"];
  const auto& t5 = report["text_encoder"];
  std::cout << "[inspect] full size: unet " << unet["parameters"] << " parameters in " << unet["tensors"]
            << " tensors, movq " << movq["parameters"] << ", text_encoder " << t5["parameters"] << " (dtypes "
            << t5["dtypes"].dump() << ")\n";
  CHECK(unet["parameters"].get<int64_t>() == 3055348228LL);
  CHECK(unet["tensors"].get<int64_t>() == 1071);
  CHECK(movq["parameters"].get<int64_t>() == 270669103LL);
  CHECK(t5["parameters"].get<int64_t>() == 8721797632LL);
  CHECK(t5["files"].size() == 5);
  CHECK(t5["dtypes"]["F32"].get<int64_t>() == 32);
  for (const auto* component : {&unet, &movq, &t5}) {
    CHECK((*component)["missing"].empty());
    CHECK((*component)["unexpected"].empty());
    CHECK((*component)["mis_shaped"].empty());
    CHECK((*component)["parameters"] == (*component)["architecture_parameters"]);
  }
  const auto text = run(inspect_command(dir.path));
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("3,055,348,228") != std::string::npos);
}

TEST_CASE("inspect: the tiny fixture folder is complete", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto result = run(inspect_command(k3::test::fixtures_root() + "/k3-tiny", "--json"));
  INFO(result.output.substr(0, 2000));
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.output);
  for (const char* component : {"text_encoder", "unet", "movq"}) {
    INFO(component);
    CHECK(report[component]["architecture_parameters"] == report[component]["parameters"]);
    CHECK(report[component]["missing"].empty());
    CHECK(report[component]["unexpected"].empty());
  }
  const auto tokenizer_json = k3::read_json_file(k3::test::fixtures_root() + "/k3-tiny-golden/tokenizer.json");
  CHECK(report["tokenizer"]["vocab_size"] == tokenizer_json["len_tokenizer"]);
  const auto scheduler_json =
      k3::read_json_file(k3::test::fixtures_root() + "/k3-tiny/scheduler/scheduler_config.json");
  CHECK(report["scheduler"]["config"]["beta_schedule"] == scheduler_json["beta_schedule"]);
}

TEST_CASE("inspect: broken model folders give one-line errors naming file and tensor", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("inspect_broken");
  struct Case {
    std::string name;
    std::function<void(const std::string&)> damage;
    std::vector<std::string> expect;  // substrings of the error line
  };
  const std::vector<Case> cases = {
      {"missing_component", [](const std::string& d) { run("rm -rf " + shell_quote(d + "/movq")); }, {"movq"}},
      {"component_not_in_index",
       [](const std::string& d) {
         auto index = k3::read_json_file(d + "/model_index.json");
         index.erase("unet");
         k3::test::write_file(d + "/model_index.json", index.dump());
       },
       {"model_index.json", "'unet'"}},
      {"wrong_shape",
       [](const std::string& d) {
         rewrite(d + "/unet/diffusion_pytorch_model.safetensors", [](auto& entries) {
           for (auto& e : entries)
             if (e.name == "conv_in.weight") e.shape[0] += 1;
         });
       },
       {"unet/diffusion_pytorch_model.safetensors", "conv_in.weight", "mis-shaped"}},
      {"truncated_shard",
       [](const std::string& d) {
         const std::string path = d + "/text_encoder/model.safetensors";
         struct stat info {};
         ::stat(path.c_str(), &info);
         REQUIRE(::truncate(path.c_str(), info.st_size - 100) == 0);
       },
       {"text_encoder/model.safetensors", "tensor '", "truncated"}},
      {"corrupted_header",
       [](const std::string& d) {
         const std::string path = d + "/movq/diffusion_pytorch_model.safetensors";
         FILE* f = std::fopen(path.c_str(), "r+b");
         REQUIRE(f);
         std::fseek(f, 20, SEEK_SET);
         std::fputs("\x01\x02garbage\"}{", f);
         std::fclose(f);
       },
       {"movq/diffusion_pytorch_model.safetensors"}},
      {"wrong_dtype",
       [](const std::string& d) {
         rewrite(d + "/text_encoder/model.safetensors", [](auto& entries) {
           for (auto& e : entries)
             if (e.name == "encoder.final_layer_norm.weight") e.dtype = k3::DType::I32;
         });
       },
       {"text_encoder/model.safetensors", "encoder.final_layer_norm.weight", "I32"}},
  };
  for (const auto& c : cases) {
    const std::string folder = copy_tiny(dir, c.name);
    c.damage(folder);
    for (const char* format : {"", "--json"}) {
      const auto result = run(inspect_command(folder, format));
      INFO("case " << c.name << " " << format << ":\n" << result.output);
      CHECK(result.exit_code != 0);
      CHECK(result.exit_code < 128);  // not a signal
      const auto at = result.output.find("k3anim: error: ");
      REQUIRE(at != std::string::npos);
      const std::string line = result.output.substr(at, result.output.find('\n', at) - at);
      for (const auto& expected : c.expect) CHECK(line.find(expected) != std::string::npos);
      if (std::string(format).empty()) std::cout << "[inspect] " << c.name << ": " << line.substr(0, 220) << "\n";
    }
  }
}

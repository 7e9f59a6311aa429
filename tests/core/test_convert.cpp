// `convert --from original`: pickled checkpoints in the original naming (written here with
// torch::pickle_save from the tiny fixture's tensors, renamed back to the original names) come
// out as a model folder that loads strictly, with every tensor equal bit for bit.
#include "base/errors.h"
#include "src/models/kandinsky3_models.h"
#include "src/convert/original_checkpoint.h"
#include "src/convert/pickle_reader.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

namespace {

namespace fs = std::filesystem;
using Tensors = std::map<std::string, torch::Tensor>;

std::string tiny() { return k3::test::fixtures_root() + "/k3-tiny"; }

Tensors read_all(const std::string& file) {
  auto store = k3::WeightStore::open_files({file});
  Tensors out;
  for (const auto& name : store.names()) out[name] = store.tensor(name, k3::to_scalar_type(store.record(name).dtype), torch::kCPU).clone();
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string regex_sub(const std::string& s, const std::string& re, const std::function<std::string(const std::smatch&)>& f) {
  std::smatch m;
  if (!std::regex_search(s, m, std::regex(re))) return s;
  return m.prefix().str() + f(m) + m.suffix().str();
}

// diffusers -> original names: the inverse of spec 6.4, written independently of the converter.
std::string unet_to_original(std::string k) {
  k = regex_sub(k, R"(resnets_in\.(\d+))", [](const std::smatch& m) { return "resnet_attn_blocks." + m[1].str() + ".0"; });
  k = regex_sub(k, R"(resnets_out\.(\d+))", [](const std::smatch& m) { return "resnet_attn_blocks." + m[1].str() + ".2"; });
  k = regex_sub(k, R"(attentions\.(\d+))", [](const std::smatch& m) {
    const int i = std::stoi(m[1].str());
    return i == 0 ? std::string("self_attention_block") : "resnet_attn_blocks." + std::to_string(i - 1) + ".1";
  });
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"time_embedding.linear_1", "to_time_embed.1"}, {"time_embedding.linear_2", "to_time_embed.3"},
           {"conv_in", "in_layer"}, {"conv_norm_out", "out_layer.0"}, {"conv_out", "out_layer.2"},
           {"down_blocks", "down_samples"}, {"up_blocks", "up_samples"}, {"add_time_condition", "feature_pooling"},
           {"to_q.", "to_query."}, {"to_k.", "to_key."}, {"to_v.", "to_value."}, {"to_out.0", "output_layer"}})
    k = replace_all(k, from, to);
  return k;
}

std::string movq_to_original(std::string k, int levels) {
  const bool decoder = k.rfind("decoder.", 0) == 0;
  k = regex_sub(k, R"(down_blocks\.(\d+)\.resnets\.(\d+))", [](const std::smatch& m) { return "down." + m[1].str() + ".block." + m[2].str(); });
  k = regex_sub(k, R"(down_blocks\.(\d+)\.attentions\.(\d+))", [](const std::smatch& m) { return "down." + m[1].str() + ".attn." + m[2].str(); });
  k = regex_sub(k, R"(down_blocks\.(\d+)\.downsamplers\.0\.conv)", [](const std::smatch& m) { return "down." + m[1].str() + ".downsample.conv"; });
  auto level = [levels](const std::smatch& m) { return std::to_string(levels - 1 - std::stoi(m[1].str())); };
  k = regex_sub(k, R"(up_blocks\.(\d+)\.resnets\.(\d+))", [&](const std::smatch& m) { return "up." + level(m) + ".block." + m[2].str(); });
  k = regex_sub(k, R"(up_blocks\.(\d+)\.attentions\.(\d+))", [&](const std::smatch& m) { return "up." + level(m) + ".attn." + m[2].str(); });
  k = regex_sub(k, R"(up_blocks\.(\d+)\.upsamplers\.0\.conv)", [&](const std::smatch& m) { return "up." + level(m) + ".upsample.conv"; });
  k = regex_sub(k, R"(mid_block\.resnets\.(\d))", [](const std::smatch& m) { return "mid.block_" + std::to_string(std::stoi(m[1].str()) + 1); });
  k = replace_all(k, "mid_block.attentions.0", "mid.attn_1");
  k = replace_all(k, "conv_norm_out", "norm_out");
  k = replace_all(k, "conv_shortcut", "nin_shortcut");
  k = replace_all(k, decoder ? ".spatial_norm." : ".group_norm.", ".norm.");
  for (const char* q : {"q", "k", "v"}) k = replace_all(k, std::string(".to_") + q + ".", std::string(".") + q + ".");
  k = replace_all(k, ".to_out.0.", ".proj_out.");
  return k;
}

c10::impl::GenericDict dict_of(const Tensors& tensors) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [name, t] : tensors) dict.insert(name, t);
  return dict;
}

void save_pickle(const c10::IValue& value, const std::string& path) {
  const auto bytes = torch::pickle_save(value);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("original UNet and MoVQ names map to the diffusers names", "[unit]") {
  using k3::original_unet_key_to_diffusers;
  CHECK(original_unet_key_to_diffusers("to_time_embed.1.weight") == "time_embedding.linear_1.weight");
  CHECK(original_unet_key_to_diffusers("out_layer.2.bias") == "conv_out.bias");
  CHECK(original_unet_key_to_diffusers("down_samples.1.resnet_attn_blocks.2.1.attention.to_query.weight") ==
        "down_blocks.1.attentions.3.attention.to_q.weight");
  CHECK(original_unet_key_to_diffusers("up_samples.0.self_attention_block.attention.output_layer.weight") ==
        "up_blocks.0.attentions.0.attention.to_out.0.weight");
  CHECK(original_unet_key_to_diffusers("feature_pooling.attention.to_key.weight") == "add_time_condition.attention.to_k.weight");
  CHECK(k3::original_movq_key_to_diffusers("decoder.up.3.attn.1.proj_out.weight", 4) ==
        "decoder.up_blocks.0.attentions.1.to_out.0.weight");
  CHECK(k3::original_movq_key_to_diffusers("decoder.mid.attn_1.norm.conv_y.bias", 4) ==
        "decoder.mid_block.attentions.0.spatial_norm.conv_y.bias");
  CHECK(k3::original_movq_key_to_diffusers("encoder.down.1.block.0.nin_shortcut.weight", 4) ==
        "encoder.down_blocks.1.resnets.0.conv_shortcut.weight");
}

TEST_CASE("the pickle reader understands Python OrderedDict state dicts", "[unit]") {
  // The data.pkl CPython's pickle (protocol 2, as torch.save) writes for
  // {'a': OrderedDict(w=<float tensor [2, 3], strides [3, 1], offset 1, storage '0' of 7>)} with
  // the state dict's _metadata attribute (a BUILD), made with stand-ins for torch's globals.
  static const unsigned char bytes[] =
      "\x80\x02\x7d\x71\x00\x58\x01\x00\x00\x00\x61\x71\x01\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a"
      "\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71\x02\x29\x52\x71\x03\x58\x01\x00\x00\x00\x77\x71\x04"
      "\x63\x74\x6f\x72\x63\x68\x2e\x5f\x75\x74\x69\x6c\x73\x0a\x5f\x72\x65\x62\x75\x69\x6c\x64\x5f\x74\x65\x6e"
      "\x73\x6f\x72\x5f\x76\x32\x0a\x71\x05\x28\x28\x58\x07\x00\x00\x00\x73\x74\x6f\x72\x61\x67\x65\x71\x06\x63"
      "\x74\x6f\x72\x63\x68\x0a\x46\x6c\x6f\x61\x74\x53\x74\x6f\x72\x61\x67\x65\x0a\x71\x07\x58\x01\x00\x00\x00"
      "\x30\x71\x08\x58\x03\x00\x00\x00\x63\x70\x75\x71\x09\x4b\x07\x74\x71\x0a\x51\x4b\x01\x4b\x02\x4b\x03\x86"
      "\x71\x0b\x4b\x03\x4b\x01\x86\x71\x0c\x89\x68\x02\x29\x52\x71\x0d\x74\x71\x0e\x52\x71\x0f\x73\x7d\x71\x10"
      "\x58\x09\x00\x00\x00\x5f\x6d\x65\x74\x61\x64\x61\x74\x61\x71\x11\x68\x02\x29\x52\x71\x12\x58\x00\x00\x00"
      "\x00\x71\x13\x7d\x71\x14\x58\x07\x00\x00\x00\x76\x65\x72\x73\x69\x6f\x6e\x71\x15\x4b\x01\x73\x73\x73\x62"
      "\x73\x2e";
  const std::string p(reinterpret_cast<const char*>(bytes), sizeof bytes - 1);
  REQUIRE(p.size() == 236);
  const auto root = k3::pickle::parse(reinterpret_cast<const uint8_t*>(p.data()), p.size(), "hand-made");
  REQUIRE(root->kind == k3::pickle::Value::Kind::Dict);
  REQUIRE(root->entries.size() == 1);
  const auto& inner = root->entries[0].second;
  REQUIRE(inner->kind == k3::pickle::Value::Kind::Dict);
  REQUIRE(inner->entries.size() == 1);
  const auto& w = inner->entries[0].second;
  REQUIRE(w->kind == k3::pickle::Value::Kind::Tensor);
  CHECK(w->tensor.sizes == std::vector<int64_t>{2, 3});
  CHECK(w->tensor.strides == std::vector<int64_t>{3, 1});
  CHECK(w->tensor.storage_key == "0");
  CHECK(w->tensor.storage_offset == 1);
  CHECK(w->tensor.storage_numel == 7);
  CHECK(w->tensor.dtype == torch::kFloat);
  CHECK_THROWS_AS(k3::pickle::parse(reinterpret_cast<const uint8_t*>(p.data()), 20, "cut"), k3::FileError);
}

TEST_CASE("convert --from original: tiny pickles round-trip bit for bit and load strictly", "[unit]") {
  K3_REQUIRE_FIXTURES();
  const auto geometry = k3::test::fixture::model_geometry();  // what the converter cannot read off the shapes
  k3::test::TempDir dir("convert_original");
  const auto unet = read_all(tiny() + "/unet/diffusion_pytorch_model.safetensors");
  const auto movq = read_all(tiny() + "/movq/diffusion_pytorch_model.safetensors");
  const auto t5 = read_all(tiny() + "/text_encoder/model.safetensors");

  Tensors unet_original, projection;
  for (const auto& [name, t] : unet) {
    if (name == "encoder_hid_proj.projection_linear.weight") projection["0.weight"] = t;
    else if (name == "encoder_hid_proj.projection_norm.weight") projection["1.weight"] = t;
    else if (name == "encoder_hid_proj.projection_norm.bias") projection["1.bias"] = t;
    else unet_original[unet_to_original(name)] = t;
  }
  REQUIRE(projection.size() == 3);
  // A transposed view: the reader must honour strides and offsets.
  const int64_t context = geometry.context_width;
  const auto null_embedding = torch::arange(2 * context, torch::kFloat).view({context, 2}).select(1, 1);
  c10::impl::GenericDict unet_file(c10::StringType::get(), c10::AnyType::get());
  unet_file.insert("unet", dict_of(unet_original));
  unet_file.insert("null_embedding", null_embedding);
  save_pickle(unet_file, dir / "kandinsky3.pt");
  save_pickle(dict_of(projection), dir / "projection.pt");
  Tensors movq_original;
  for (const auto& [name, t] : movq) {
    auto original_name = movq_to_original(name, static_cast<int>(geometry.movq_levels));
    const bool attention_linear = std::regex_search(original_name, std::regex(R"(attn(_1|\.\d+)\.(q|k|v|proj_out)\.weight$)"));
    movq_original[original_name] = attention_linear ? t.view({t.size(0), t.size(1), 1, 1}) : t;
  }
  save_pickle(dict_of(movq_original), dir / "movq.pt");
  // The text encoder as transformers shards.
  fs::create_directories(dir / "flan_ul2_encoder");
  Tensors first, second;
  for (const auto& [name, t] : t5) (first.size() <= t5.size() / 2 ? first : second)[name] = t;
  save_pickle(dict_of(first), dir / "flan_ul2_encoder/pytorch_model-00001-of-00002.bin");
  save_pickle(dict_of(second), dir / "flan_ul2_encoder/pytorch_model-00002-of-00002.bin");
  fs::copy_file(tiny() + "/text_encoder/config.json", dir / "flan_ul2_encoder/config.json");
  for (const char* f : {"spiece.model", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(tiny() + "/tokenizer/" + f, dir / (std::string("flan_ul2_encoder/") + f));

  k3::OriginalConversion conversion;
  conversion.unet = dir / "kandinsky3.pt";
  conversion.projection = dir / "projection.pt";
  conversion.movq = dir / "movq.pt";
  conversion.text_encoder = dir / "flan_ul2_encoder";
  conversion.output_dir = dir / "model";
  conversion.unet_groups = geometry.unet_groups;
  conversion.unet_attention_head_dim = geometry.unet_attention_head_dim;
  conversion.movq_norm_groups = geometry.movq_norm_groups;
  k3::convert_original_checkpoints(conversion);

  // Configs derived from the shapes equal the fixture's.
  auto json_of = [](const std::string& path) { return nlohmann::json::parse(k3::test::read_file(path)); };
  auto fixture_unet = json_of(tiny() + "/unet/config.json");
  auto converted_unet = json_of(dir / "model/unet/config.json");
  for (const auto& key : {"in_channels", "block_out_channels", "layers_per_block", "time_embedding_dim",
                          "cross_attention_dim", "encoder_hid_dim", "groups", "attention_head_dim"})
    CHECK(converted_unet[key] == fixture_unet[key]);
  auto fixture_movq = json_of(tiny() + "/movq/config.json");
  auto converted_movq = json_of(dir / "model/movq/config.json");
  for (const auto& key : {"block_out_channels", "down_block_types", "up_block_types", "layers_per_block",
                          "latent_channels", "num_vq_embeddings", "norm_num_groups", "in_channels", "out_channels"})
    CHECK(converted_movq[key] == fixture_movq[key]);

  // Bit for bit.
  auto check_equal = [](const Tensors& want, const Tensors& got, const std::string& what) {
    CHECK(want.size() == got.size());
    int64_t differing = 0;
    for (const auto& [name, t] : want) {
      auto it = got.find(name);
      if (it == got.end()) {
        FAIL_CHECK(what << ": missing " << name);
        continue;
      }
      if (!torch::equal(it->second.reshape(t.sizes()), t) || it->second.sizes() != t.sizes()) ++differing;
    }
    std::cout << "[convert] " << what << ": " << want.size() << " tensors, " << differing << " differ\n";
    CHECK(differing == 0);
  };
  check_equal(unet, read_all(dir / "model/unet/diffusion_pytorch_model.safetensors"), "unet");
  check_equal(movq, read_all(dir / "model/movq/diffusion_pytorch_model.safetensors"), "movq");
  Tensors t5_converted = read_all(dir / "model/text_encoder/model-00001-of-00002.safetensors");
  for (auto& [n, t] : read_all(dir / "model/text_encoder/model-00002-of-00002.safetensors")) t5_converted[n] = t;
  check_equal(t5, t5_converted, "text_encoder");
  const auto null_converted = read_all(dir / ("model/unet/" + std::string(k3::kNullEmbeddingFile)));
  REQUIRE(null_converted.count(k3::kNullEmbeddingKey));
  CHECK(torch::equal(null_converted.at(k3::kNullEmbeddingKey), null_embedding));

  // The folder loads with the strict loader, null embedding included.
  k3::ModelLoadOptions load;
  load.model_dir = dir / "model";
  const auto models = k3::Kandinsky3Models::load(load);
  REQUIRE(models.null_embedding.defined());
  CHECK(models.null_embedding.numel() == context);

  // And `k3anim inspect` reports nothing missing or unexpected.
  const auto result = k3::test::run(k3::test::shell_quote(k3::test::k3anim_path()) + " inspect --json --model " +
                                    k3::test::shell_quote(dir / "model") + " 2>/dev/null");
  INFO(result.output.substr(0, 2000));
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.output);
  for (const char* component : {"unet", "movq", "text_encoder"}) {
    INFO(component);
    CHECK(report[component]["missing"].empty());
    CHECK(report[component]["unexpected"].empty());
    CHECK(report[component]["mis_shaped"].empty());
  }
}

// Follows diffusers scripts/convert_kandinsky3_unet.py (UNet renames), scripts/
// convert_kandinsky_to_diffusers.py (MoVQ renames), ai-forever/Kandinsky-3 checkpoint layout
// (spec 6.3) and huggingface/safetensors' format (header first, then raw data in order).
#include "src/convert/original_checkpoint.h"

#include "base/errors.h"
#include "src/models/kandinsky3_models.h"
#include "src/io/model_folder.h"
#include "src/convert/pickle_reader.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"

#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace k3 {

namespace fs = std::filesystem;

namespace {

void flatten(const pickle::ValuePtr& value, const std::string& prefix, std::vector<PickledTensor>& out) {
  if (value->kind == pickle::Value::Kind::Tensor) {
    PickledTensor t;
    t.name = prefix;
    t.dtype = value->tensor.dtype;
    t.sizes = value->tensor.sizes;
    t.strides = value->tensor.strides;
    t.storage_offset = value->tensor.storage_offset;
    t.record = value->tensor.storage_key;
    out.push_back(std::move(t));
  } else if (value->kind == pickle::Value::Kind::Dict) {
    for (const auto& [key, item] : value->entries)
      if (key->kind == pickle::Value::Kind::String) flatten(item, prefix.empty() ? key->text : prefix + "." + key->text, out);
  }
}

}  // namespace

PickledCheckpoint PickledCheckpoint::open(const std::string& path) {
  PickledCheckpoint checkpoint;
  checkpoint.path_ = path;
  if (!fs::is_regular_file(path)) throw FileError(path + ": expected a torch.save checkpoint file, got nothing there");
  try {
    checkpoint.reader_ = std::make_shared<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    throw FileError(path + ": expected a torch.save zip archive (PyTorch >= 1.6 format), got a file it cannot open (" +
                    e.what_without_backtrace() + ")");
  }
  if (!checkpoint.reader_->hasRecord("data.pkl")) throw FileError(path + ": expected a data.pkl record, got none");
  auto [data, size] = checkpoint.reader_->getRecord("data.pkl");
  const auto root = pickle::parse(static_cast<const std::uint8_t*>(data.get()), size, path);
  flatten(root, "", checkpoint.tensors_);
  for (auto& t : checkpoint.tensors_) {
    const std::string with_folder = "data/" + t.record;
    if (checkpoint.reader_->hasRecord(with_folder)) t.record = with_folder;
    else if (!checkpoint.reader_->hasRecord(t.record))
      throw FileError(path + ": expected a storage record data/" + t.record + " for " + t.name + ", got none");
  }
  return checkpoint;
}

torch::Tensor PickledCheckpoint::read(const PickledTensor& tensor) const {
  auto [data, size] = reader_->getRecord(tensor.record);
  const auto itemsize = static_cast<std::size_t>(c10::elementSize(tensor.dtype));
  // The tensor keeps the record's buffer alive (no second copy for the usual contiguous case).
  auto buffer = std::make_shared<at::DataPtr>(std::move(data));
  auto storage = torch::from_blob(buffer->get(), {static_cast<int64_t>(size / itemsize)}, [buffer](void*) {},
                                  torch::TensorOptions().dtype(tensor.dtype));
  int64_t last = tensor.storage_offset;
  for (std::size_t d = 0; d < tensor.sizes.size(); ++d)
    if (tensor.sizes[d] > 0) last += (tensor.sizes[d] - 1) * tensor.strides[d];
  if (last >= storage.numel() && c10::multiply_integers(tensor.sizes) > 0)
    throw FileError(path_ + ": expected " + tensor.name + " inside its storage (" + std::to_string(storage.numel()) +
                    " elements), got an extent of " + std::to_string(last + 1));
  auto view = storage.as_strided(tensor.sizes, tensor.strides, tensor.storage_offset);
  return view.is_contiguous() ? view : view.contiguous();
}

std::string original_unet_key_to_diffusers(const std::string& key) {
  static const std::vector<std::pair<std::string, std::string>> renames = {
      {"to_time_embed.1", "time_embedding.linear_1"},
      {"to_time_embed.3", "time_embedding.linear_2"},
      {"in_layer", "conv_in"},
      {"out_layer.0", "conv_norm_out"},
      {"out_layer.2", "conv_out"},
      {"down_samples", "down_blocks"},
      {"up_samples", "up_blocks"},
      {"projection_lin", "encoder_hid_proj.projection_linear"},
      {"projection_ln", "encoder_hid_proj.projection_norm"},
      {"feature_pooling", "add_time_condition"},
      {"to_query", "to_q"},
      {"to_key", "to_k"},
      {"to_value", "to_v"},
      {"output_layer", "to_out.0"},
      {"self_attention_block", "attentions.0"}};
  std::string out = key;
  for (const auto& [from, to] : renames) {
    for (std::size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size()))
      out.replace(at, from.size(), to);
  }
  static const std::regex block(R"(resnet_attn_blocks\.(\d+)\.(\d+))");
  std::smatch m;
  if (std::regex_search(out, m, block)) {
    const int i = std::stoi(m[1]), j = std::stoi(m[2]);
    std::string replacement = j == 0   ? "resnets_in." + std::to_string(i)
                              : j == 1 ? "attentions." + std::to_string(i + 1)
                                       : "resnets_out." + std::to_string(i);
    out = m.prefix().str() + replacement + m.suffix().str();
  }
  return out;
}

std::string original_movq_key_to_diffusers(const std::string& key, int64_t levels) {
  std::string out = key;
  std::smatch m;
  auto sub = [&](const std::regex& re, const std::function<std::string(const std::smatch&)>& make) {
    if (std::regex_search(out, m, re)) out = m.prefix().str() + make(m) + m.suffix().str();
  };
  const bool decoder = out.rfind("decoder.", 0) == 0;
  sub(std::regex(R"(^encoder\.down\.(\d+)\.block\.(\d+))"),
      [](const std::smatch& s) { return "encoder.down_blocks." + s[1].str() + ".resnets." + s[2].str(); });
  sub(std::regex(R"(^encoder\.down\.(\d+)\.attn\.(\d+))"),
      [](const std::smatch& s) { return "encoder.down_blocks." + s[1].str() + ".attentions." + s[2].str(); });
  sub(std::regex(R"(^encoder\.down\.(\d+)\.downsample\.conv)"),
      [](const std::smatch& s) { return "encoder.down_blocks." + s[1].str() + ".downsamplers.0.conv"; });
  auto up = [levels](const std::smatch& s) { return std::to_string(levels - 1 - std::stoll(s[1].str())); };
  sub(std::regex(R"(^decoder\.up\.(\d+)\.block\.(\d+))"),
      [&](const std::smatch& s) { return "decoder.up_blocks." + up(s) + ".resnets." + s[2].str(); });
  sub(std::regex(R"(^decoder\.up\.(\d+)\.attn\.(\d+))"),
      [&](const std::smatch& s) { return "decoder.up_blocks." + up(s) + ".attentions." + s[2].str(); });
  sub(std::regex(R"(^decoder\.up\.(\d+)\.upsample\.conv)"),
      [&](const std::smatch& s) { return "decoder.up_blocks." + up(s) + ".upsamplers.0.conv"; });
  sub(std::regex(R"(\.mid\.block_(\d))"),
      [](const std::smatch& s) { return ".mid_block.resnets." + std::to_string(std::stoi(s[1].str()) - 1); });
  sub(std::regex(R"(\.mid\.attn_1)"), [](const std::smatch&) { return std::string(".mid_block.attentions.0"); });
  sub(std::regex(R"(\.norm_out\.)"), [](const std::smatch&) { return std::string(".conv_norm_out."); });
  sub(std::regex(R"(\.nin_shortcut\.)"), [](const std::smatch&) { return std::string(".conv_shortcut."); });
  // Attention internals (only under attentions.N).
  sub(std::regex(R"((attentions\.\d+)\.norm\.)"), [decoder](const std::smatch& s) {
    return s[1].str() + (decoder ? ".spatial_norm." : ".group_norm.");
  });
  sub(std::regex(R"((attentions\.\d+)\.(q|k|v)\.)"),
      [](const std::smatch& s) { return s[1].str() + ".to_" + s[2].str() + "."; });
  sub(std::regex(R"((attentions\.\d+)\.proj_out\.)"), [](const std::smatch& s) { return s[1].str() + ".to_out.0."; });
  return out;
}

namespace {

using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;  // only metadata needed up front

struct PlannedTensor {
  std::string name;  // output name
  const PickledCheckpoint* source = nullptr;
  const PickledTensor* tensor = nullptr;
  std::vector<int64_t> shape;  // output shape (MoVQ attention 1x1 convs lose their last two dims)
};

DType dtype_of(torch::ScalarType type, const std::string& where) {
  try {
    return to_dtype(type);
  } catch (const Error&) {
    throw WeightError(where + ": expected a floating or integer dtype safetensors can hold, got " +
                      std::string(c10::toString(type)));
  }
}

// Writes the header (sparse write of the whole layout), then each tensor's bytes in place: one
// tensor in memory at a time.
void write_streamed(const std::string& path, const std::vector<PlannedTensor>& plan,
                    const std::function<void(int64_t, int64_t)>& progress) {
  std::vector<TensorToWrite> layout;
  for (const auto& p : plan) layout.push_back({p.name, dtype_of(p.tensor->dtype, p.source->path()), p.shape, nullptr});
  write_safetensors(path, layout, {{"format", "pt"}}, /*sparse=*/true);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!file) throw FileError(path + ": expected a writable file, got one that cannot be opened");
  unsigned char length_bytes[8];
  file.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | length_bytes[i];
  uint64_t offset = 8 + header;
  int64_t done = 0;
  for (const auto& p : plan) {
    auto values = p.source->read(*p.tensor);
    if (values.numel() != c10::multiply_integers(p.shape))
      throw WeightError(p.source->path() + ": " + p.tensor->name + " expected " + shape_to_string(p.shape) + ", got " +
                        c10::str(values.sizes()));
    const auto nbytes = static_cast<std::streamsize>(values.numel() * values.element_size());
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(static_cast<const char*>(values.data_ptr()), nbytes);
    if (!file) throw FileError(path + ": expected to write " + p.name + ", got a write error (disk full?)");
    offset += static_cast<uint64_t>(nbytes);
    if (progress) progress(++done, static_cast<int64_t>(plan.size()));
  }
}

const PickledTensor& require(const std::map<std::string, const PickledTensor*>& by_name, const std::string& name,
                             const std::string& file) {
  auto it = by_name.find(name);
  if (it == by_name.end()) throw WeightError(file + ": expected a tensor " + name + ", got none");
  return *it->second;
}

void write_json(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  if (!out) throw FileError(path + ": expected to write it, got a write error");
}

void convert_unet(const OriginalConversion& c) {
  const auto unet = PickledCheckpoint::open(c.unet);
  const auto projection = PickledCheckpoint::open(c.projection);
  std::vector<PlannedTensor> plan;
  std::map<std::string, const PickledTensor*> by_name;
  const PickledTensor* null_embedding = nullptr;
  for (const auto& t : unet.tensors()) {
    if (t.name == "null_embedding") {
      null_embedding = &t;
      continue;
    }
    const std::string key = t.name.rfind("unet.", 0) == 0 ? t.name.substr(5) : t.name;
    plan.push_back({original_unet_key_to_diffusers(key), &unet, &t, t.sizes});
  }
  static const std::map<std::string, std::string> projection_names = {
      {"0.weight", "encoder_hid_proj.projection_linear.weight"},
      {"1.weight", "encoder_hid_proj.projection_norm.weight"},
      {"1.bias", "encoder_hid_proj.projection_norm.bias"}};
  for (const auto& t : projection.tensors()) {
    auto it = projection_names.find(t.name);
    if (it == projection_names.end())
      throw WeightError(c.projection + ": expected only 0.weight, 1.weight, 1.bias, got " + t.name);
    plan.push_back({it->second, &projection, &t, t.sizes});
  }
  std::set<std::string> seen;
  for (const auto& p : plan) {
    if (!seen.insert(p.name).second) throw WeightError(c.unet + ": two tensors map to " + p.name);
    by_name[p.name] = p.tensor;
  }
  // config.json from the shapes.
  const auto& conv_in = require(by_name, "conv_in.weight", c.unet);
  const auto& conv_out = require(by_name, "conv_out.weight", c.unet);
  const auto& time1 = require(by_name, "time_embedding.linear_1.weight", c.unet);
  const auto& proj = require(by_name, "encoder_hid_proj.projection_linear.weight", c.projection);
  std::vector<int64_t> block_out;
  for (int level = 0;; ++level) {
    auto it = by_name.find("down_blocks." + std::to_string(level) + ".resnets_in.0.resnet_blocks.3.projection.weight");
    if (it == by_name.end()) break;
    block_out.push_back(it->second->sizes[0]);
  }
  int64_t layers = 0;
  while (by_name.count("down_blocks.0.resnets_in." + std::to_string(layers) + ".resnet_blocks.0.projection.weight")) ++layers;
  nlohmann::json config = {{"_class_name", "Kandinsky3UNet"},
                           {"_diffusers_version", "0.27.2"},
                           {"in_channels", conv_in.sizes.at(1)},
                           {"out_channels", conv_out.sizes.at(0)},
                           {"time_embedding_dim", time1.sizes.at(0)},
                           {"groups", c.unet_groups},
                           {"attention_head_dim", c.unet_attention_head_dim},
                           {"layers_per_block", layers},
                           {"block_out_channels", block_out},
                           {"cross_attention_dim", proj.sizes.at(0)},
                           {"encoder_hid_dim", proj.sizes.at(1)}};
  const auto dir = c.output_dir + "/unet";
  fs::create_directories(dir);
  write_json(dir + "/config.json", config);
  write_streamed(dir + "/diffusion_pytorch_model.safetensors", plan, [&](int64_t done, int64_t total) {
    if (c.on_tensor) c.on_tensor("unet", done, total);
  });
  if (null_embedding)
    write_streamed(dir + "/" + kNullEmbeddingFile, {{kNullEmbeddingKey, &unet, null_embedding, null_embedding->sizes}}, {});
}

void convert_movq(const OriginalConversion& c) {
  const auto movq = PickledCheckpoint::open(c.movq);
  std::map<std::string, const PickledTensor*> original;
  for (const auto& t : movq.tensors()) original[t.name] = &t;
  std::vector<int64_t> block_out;
  std::vector<std::string> down_types, up_types;
  for (int level = 0;; ++level) {
    auto it = original.find("encoder.down." + std::to_string(level) + ".block.0.conv1.weight");
    if (it == original.end()) break;
    block_out.push_back(it->second->sizes[0]);
    const bool attention = original.count("encoder.down." + std::to_string(level) + ".attn.0.q.weight") > 0;
    down_types.push_back(attention ? "AttnDownEncoderBlock2D" : "DownEncoderBlock2D");
    up_types.insert(up_types.begin(), attention ? "AttnUpDecoderBlock2D" : "UpDecoderBlock2D");
  }
  const auto levels = static_cast<int64_t>(block_out.size());
  if (levels == 0) throw WeightError(c.movq + ": expected encoder.down.0.block.0.conv1.weight, got none");
  int64_t layers = 0;
  while (original.count("encoder.down.0.block." + std::to_string(layers) + ".conv1.weight")) ++layers;
  std::vector<PlannedTensor> plan;
  std::set<std::string> seen;
  for (const auto& t : movq.tensors()) {
    PlannedTensor p{original_movq_key_to_diffusers(t.name, levels), &movq, &t, t.sizes};
    // The original's attention q/k/v/proj_out are 1x1 convolutions; diffusers' are Linear.
    static const std::regex linear(R"(attentions\.\d+\.(to_q|to_k|to_v|to_out\.0)\.weight$)");
    if (std::regex_search(p.name, linear) && p.shape.size() == 4) p.shape.resize(2);
    if (!seen.insert(p.name).second) throw WeightError(c.movq + ": two tensors map to " + p.name);
    plan.push_back(std::move(p));
  }
  auto shape_of = [&](const std::string& name) -> const std::vector<int64_t>& {
    auto it = original.find(name);
    if (it == original.end()) throw WeightError(c.movq + ": expected a tensor " + name + ", got none");
    return it->second->sizes;
  };
  const auto& codebook = shape_of("quantize.embedding.weight");
  nlohmann::json config = {{"_class_name", "VQModel"},
                           {"_diffusers_version", "0.27.2"},
                           {"act_fn", "silu"},
                           {"block_out_channels", block_out},
                           {"down_block_types", down_types},
                           {"up_block_types", up_types},
                           {"in_channels", shape_of("encoder.conv_in.weight").at(1)},
                           {"out_channels", shape_of("decoder.conv_out.weight").at(0)},
                           {"latent_channels", shape_of("quant_conv.weight").at(0)},
                           {"layers_per_block", layers},
                           {"norm_num_groups", c.movq_norm_groups},
                           {"norm_type", "spatial"},
                           {"num_vq_embeddings", codebook.at(0)},
                           {"vq_embed_dim", codebook.at(1)},
                           {"sample_size", 32},
                           {"scaling_factor", 0.18215}};
  const auto dir = c.output_dir + "/movq";
  fs::create_directories(dir);
  write_json(dir + "/config.json", config);
  write_streamed(dir + "/diffusion_pytorch_model.safetensors", plan, [&](int64_t done, int64_t total) {
    if (c.on_tensor) c.on_tensor("movq", done, total);
  });
}

void convert_text_encoder(const OriginalConversion& c) {
  const fs::path source = c.text_encoder;
  std::vector<fs::path> shards;
  for (const auto& entry : fs::directory_iterator(source)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("pytorch_model", 0) == 0 && entry.path().extension() == ".bin") shards.push_back(entry.path());
  }
  std::sort(shards.begin(), shards.end());
  if (shards.empty()) throw FileError(c.text_encoder + ": expected pytorch_model*.bin files, got none");
  if (!fs::exists(source / "config.json")) throw FileError(c.text_encoder + ": expected config.json, got none");
  const auto encoder_dir = fs::path(c.output_dir) / "text_encoder";
  const auto tokenizer_dir = fs::path(c.output_dir) / "tokenizer";
  fs::create_directories(encoder_dir);
  fs::create_directories(tokenizer_dir);
  fs::copy_file(source / "config.json", encoder_dir / "config.json", fs::copy_options::overwrite_existing);
  nlohmann::json weight_map = nlohmann::json::object();
  int64_t total_size = 0;
  const auto count = shards.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto checkpoint = PickledCheckpoint::open(shards[i].string());
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    const std::string file = count == 1 ? "model.safetensors" : name;
    std::vector<PlannedTensor> plan;
    for (const auto& t : checkpoint.tensors()) {
      // T5EncoderModel only: a full T5 checkpoint's decoder is not needed.
      if (t.name.rfind("decoder.", 0) == 0 || t.name.rfind("lm_head.", 0) == 0) continue;
      plan.push_back({t.name, &checkpoint, &t, t.sizes});
      weight_map[t.name] = file;
      total_size += c10::multiply_integers(t.sizes) * static_cast<int64_t>(c10::elementSize(t.dtype));
    }
    write_streamed((encoder_dir / file).string(), plan, [&](int64_t done, int64_t n) {
      if (c.on_tensor) c.on_tensor("text_encoder " + std::string(file), done, n);
    });
  }
  if (count > 1)
    write_json((encoder_dir / "model.safetensors.index.json").string(),
               {{"metadata", {{"total_size", total_size}}}, {"weight_map", weight_map}});
  for (const char* file : {"spiece.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"})
    if (fs::exists(source / file)) fs::copy_file(source / file, tokenizer_dir / file, fs::copy_options::overwrite_existing);
  if (!fs::exists(tokenizer_dir / "spiece.model"))
    throw FileError(c.text_encoder + ": expected spiece.model (the tokenizer), got none");
}

}  // namespace

void convert_original_checkpoints(const OriginalConversion& c) {
  if (c.unet.empty() || c.projection.empty() || c.movq.empty() || c.output_dir.empty())
    throw ConfigError("convert: expected --unet, --projection, --movq and an output folder, got some missing");
  fs::create_directories(c.output_dir);
  convert_unet(c);
  convert_movq(c);
  nlohmann::json index = {{"_class_name", "Kandinsky3Pipeline"},
                          {"_diffusers_version", "0.27.2"},
                          {"movq", {"diffusers", "VQModel"}},
                          {"scheduler", {"diffusers", "DDPMScheduler"}},
                          {"unet", {"diffusers", "Kandinsky3UNet"}}};
  if (!c.text_encoder.empty()) {
    convert_text_encoder(c);
    index["text_encoder"] = {"transformers", "T5EncoderModel"};
    index["tokenizer"] = {"transformers", "T5Tokenizer"};
  }
  write_json(c.output_dir + "/model_index.json", index);
  // kandinsky-community/kandinsky-3's scheduler: the original's cosine schedule over 1000 steps.
  fs::create_directories(c.output_dir + "/scheduler");
  write_json(c.output_dir + "/scheduler/scheduler_config.json",
             {{"_class_name", "DDPMScheduler"}, {"_diffusers_version", "0.27.2"}, {"beta_end", 0.012},
              {"beta_schedule", "squaredcos_cap_v2"}, {"beta_start", 0.00085}, {"clip_sample", true},
              {"clip_sample_range", 1.0}, {"dynamic_thresholding_ratio", 0.995}, {"num_train_timesteps", 1000},
              {"prediction_type", "epsilon"}, {"sample_max_value", 1.0}, {"set_alpha_to_one", false},
              {"steps_offset", 1}, {"thresholding", false}, {"timestep_spacing", "leading"},
              {"trained_betas", nullptr}, {"variance_type", "fixed_small"}});
}

}  // namespace k3

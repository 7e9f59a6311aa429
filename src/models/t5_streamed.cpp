// Follows transformers models/t5/modeling_t5.py (T5Stack.forward: embed, position bias from block 0,
// blocks in order, final layer norm), loading each block's weights just before it runs.
#include "src/models/t5_streamed.h"

#include "base/errors.h"

namespace k3 {

namespace {

class ResidentTextEncoder final : public TextEncoder {
 public:
  explicit ResidentTextEncoder(T5Encoder encoder) : encoder_(std::move(encoder)) {}
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) override {
    return encoder_->forward(input_ids, attention_mask);
  }
  torch::ScalarType dtype() const override { return encoder_->shared->weight.scalar_type(); }
  torch::Device device() const override { return encoder_->shared->weight.device(); }

 private:
  T5Encoder encoder_;
};

}  // namespace

std::unique_ptr<TextEncoder> make_resident_text_encoder(T5Encoder encoder) {
  return std::make_unique<ResidentTextEncoder>(std::move(encoder));
}

StreamedT5Encoder::StreamedT5Encoder(T5EncoderConfig config, std::shared_ptr<const WeightStore> store,
                                     torch::ScalarType dtype, torch::Device device)
    : config_(std::move(config)), store_(std::move(store)), dtype_(dtype), device_(device) {
  // Built uninitialised (no memory touched) only to hold the keys against the checkpoint once.
  T5Encoder layout(config_);
  const LoadReport report = check_weights(*layout, *store_, T5EncoderImpl::checkpoint_aliases());
  if (!report.ok())
    throw WeightError("text_encoder (" + store_->describe_files() + "): expected weights matching the architecture, got " +
                      report.summary());
}

torch::ScalarType StreamedT5Encoder::dtype_for(const std::string& key) const { return t5_weight_dtype(key, dtype_); }

void StreamedT5Encoder::fill(torch::nn::Module& module, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    const std::string key = prefix + item.key();
    auto loaded = store_->tensor(key, dtype_for(key), device_);
    const bool aliases_file = loaded.device().is_cpu() && loaded.data_ptr() == store_->record(key).data;
    item.value().set_data(loaded);
    if (!aliases_file) store_->release(key);
  }
}

torch::Tensor StreamedT5Encoder::embed(const torch::Tensor& input_ids) {
  const auto& aliases = T5EncoderImpl::checkpoint_aliases();
  std::string key = "shared.weight";
  if (!store_->contains(key)) key = aliases.at(key);
  // Gather the rows in the stored dtype, then convert: the same values as converting the whole
  // table first (conversion is per element), without a converted copy of 32128 x d_model.
  auto table = store_->tensor(key, to_scalar_type(store_->record(key).dtype), torch::kCPU);
  auto rows = table.index_select(0, input_ids.reshape({-1}).to(torch::kCPU));
  store_->release(key);
  auto shape = input_ids.sizes().vec();
  shape.push_back(config_.d_model);
  return rows.to(device_, dtype_).reshape(shape);
}

void StreamedT5Encoder::release(torch::nn::Module& module, const std::string& prefix) {
  // Drop the weights first (tensors that alias the file go with them), then the file's pages: a
  // float32 `wo` stored as float32 is used straight from the mapping and must not stay resident.
  std::vector<std::string> keys;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    keys.push_back(prefix + item.key());
    item.value().set_data(torch::empty({0}, item.value().options()));
  }
  for (const auto& key : keys) store_->release(key);
}

T5Block StreamedT5Encoder::load_block(int64_t index) {
  T5Block block(config_, /*has_relative_attention_bias=*/index == 0);
  fill(*block, "encoder.block." + std::to_string(index) + ".");
  block->eval();
  return block;
}

torch::Tensor StreamedT5Encoder::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  torch::NoGradGuard no_grad;
  if (input_ids.dim() != 2 || attention_mask.sizes() != input_ids.sizes())
    throw Error("T5 encoder: expected input_ids and attention_mask of one shape (B, L), got " + c10::str(input_ids.sizes()) +
                " and " + c10::str(attention_mask.sizes()));
  auto hidden = embed(input_ids);
  const int64_t length = input_ids.size(1), batch = input_ids.size(0);
  torch::Tensor position_bias;
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    T5Block block = load_block(i);
    if (i == 0)
      position_bias = block->attention->SelfAttention->compute_bias(length, length) +
                      t5_extended_attention_mask(attention_mask.to(device_), hidden.scalar_type());
    // Row by row: a prompt's embedding is then what it would be alone, whatever else is encoded
    // with it (batched products round differently in the last bits), so one clip renders the
    // same in a batch, alone, or resumed.
    std::vector<torch::Tensor> rows;
    for (int64_t b = 0; b < batch; ++b)
      rows.push_back(block->forward(hidden.narrow(0, b, 1), position_bias.narrow(0, b, 1)));
    hidden = torch::cat(rows);
    release(*block, "encoder.block." + std::to_string(i) + ".");
  }
  T5LayerNorm final_norm(config_.d_model, config_.layer_norm_epsilon);
  fill(*final_norm, "encoder.final_layer_norm.");
  auto out = final_norm->forward(hidden);
  release(*final_norm, "encoder.final_layer_norm.");
  return out;
}

}  // namespace k3

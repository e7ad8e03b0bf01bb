// Channel groups for prune-channels: which output channels of which Conv/Gemm layers must be
// removed together, and every edit their removal implies downstream.
//
// A group is a set of producer outputs (Conv with group=1, Gemm) whose channels are one
// space: values joined element-wise (residual Add, Mul, ...) must keep the same channels.
// Values carry a ChannelLayout along axis 1: segments of groups (a Concat on axis 1 lays
// its inputs end to end) and, after a Flatten, the elements per channel. The walk follows
//   per-channel ops (BatchNormalization, pooling: kPerChannel in op_traits.def), element-wise
//   unary ops, element-wise binary ops (their constant inputs sliced when they are per
//   channel), Identity, Squeeze of spatial axes, depthwise Conv (weights/bias sliced, group
//   count reduced, output in the same group), Concat, Flatten and flatten-like Reshape
// down to the consumers whose input channels shrink: Conv (weight axis 1), ConvTranspose
// (axis 0), Gemm (rows of B, or columns when transB = 1) and MatMul with a constant 2-D B.
// Anything else that reads a group's value (a graph output, a subgraph, an unknown op, a
// Reshape that is not a flatten, a Transpose, unknown spatial shapes, a weight that is not a
// constant) blocks the group, with the reason.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/model.h"

namespace edge::pass::prune {

// `length` channels of group `group` (-1: channels that are never pruned, e.g. the part of a
// Concat that comes from outside any group).
struct Segment {
  int group = -1;
  int64_t length = 0;
};

// How axis 1 of a value is made of groups' channels.
struct ChannelLayout {
  std::vector<Segment> segments;
  int64_t inner = 1;  // elements per channel along axis 1 (H*W after a Flatten of [N,C,H,W])
  int rank = 0;
  int64_t channels() const;
};

// Input `input` of node `node` is a constant whose axis `axis` follows `layout` (units of
// layout.inner elements). `terminal`: the node reads the group's channels and produces
// something else (a consumer's input channels), so zeroing these entries removes the
// channels' whole contribution (the sensitivity measurement does that).
struct InputEdit {
  int node = -1;
  int input = -1;
  int axis = 0;
  ChannelLayout layout;
  bool terminal = false;
};

// Attribute or shape rewrites that follow the new channel count.
struct NodeEdit {
  enum Kind { kDepthwiseGroup, kReshapeShape } kind = kDepthwiseGroup;
  int node = -1;
  ChannelLayout layout;  // the node's input layout
  int64_t spatial = 1;   // kReshapeShape: elements per channel in the flattened output
};

struct ChannelGroup {
  int64_t channels = 0;
  std::vector<int> producers;  // Conv/Gemm nodes whose output channels these are (node order)
  std::vector<int> members;    // other nodes with edits in this group (BN, depthwise, consumers)
  std::string blocked;         // why it cannot be pruned ("" when it can)
};

struct ChannelAnalysis {
  std::vector<ChannelGroup> groups;  // ordered by their first producer
  std::vector<InputEdit> inputs;     // group ids in layouts index `groups`
  std::vector<NodeEdit> nodes;
  std::map<std::string, ChannelLayout> values;  // every value whose axis 1 follows groups
};

// Walks `model`'s main graph (which must carry shape information for the spatial dims
// that Flatten needs: run shape inference first). `excluded(node)`: a layer rule excludes
// the node, so no group may edit it.
ChannelAnalysis analyze_channels(const Model& model, const std::function<bool(const onnx::NodeProto&)>& excluded);

// The entries along a layout's axis to keep, in order, given each group's kept channels
// (sorted); groups absent from `kept` keep every channel. Units of layout.inner elements
// are expanded to single indices.
std::vector<int64_t> kept_indices(const ChannelLayout& layout, const std::map<int, std::vector<int64_t>>& kept);

}  // namespace edge::pass::prune

namespace edge::pass::prune {

// Rewrites `model` so that each group in `kept` keeps only those channels (sorted, at least
// one): slices every constant the analysis listed (in place when nothing else reads it, else
// under a fresh name), reduces depthwise group counts, rewrites flatten shapes and drops the
// value_info of every value whose channels changed. Run shape inference afterwards.
void apply_kept_channels(Model& model, const ChannelAnalysis& analysis,
                         const std::map<int, std::vector<int64_t>>& kept);

}  // namespace edge::pass::prune

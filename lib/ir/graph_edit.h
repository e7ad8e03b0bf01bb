// Graph editing: the helpers that passes (and the runtime's compiler) share for reading and
// rewriting an onnx::GraphProto in place: subgraphs and the values they read from enclosing
// scopes, renaming uses of a value, erasing nodes/initializers/value infos, fresh names,
// adding initializers (IR < 4 aware) and bypassing no-op nodes.
// Lookups over an unchanged graph (producers, consumers, shapes, types) are in GraphIndex
// (graph_index.h); attributes and node descriptions in node_attrs.h.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge {

// True for nodes of the default ai.onnx domain.
bool is_onnx_op(const onnx::NodeProto& n);
// Graph-valued attributes of a node (If branches, Loop/Scan bodies), in attribute order.
std::vector<const onnx::GraphProto*> subgraphs_of(const onnx::NodeProto& n);
std::vector<onnx::GraphProto*> mutable_subgraphs_of(onnx::NodeProto& n);
// True when the node has a graph-valued attribute.
bool has_subgraph(const onnx::NodeProto& n);

// Values that `g` (or a subgraph nested in it) reads without defining them: its reads from
// enclosing scopes (sorted). Inputs, initializers and node outputs of a graph are visible to
// the subgraphs nested in it; graph outputs that `g` does not define count as reads.
std::vector<std::string> free_variables(const onnx::GraphProto& g);
// Names that the subgraphs of `g`'s nodes read from enclosing scopes (sorted).
std::set<std::string> subgraph_reads(const onnx::GraphProto& g);
// Names that nodes of `g` read, including subgraph reads of outer values (sorted).
std::set<std::string> all_reads(const onnx::GraphProto& g);

// Replaces every read of `from` by `to`: node inputs of `g` and of all nested subgraphs,
// and subgraph outputs that name `from` directly. `g`'s own outputs are left alone.
void replace_uses(onnx::GraphProto& g, const std::string& from, const std::string& to);

// Every value name used anywhere in `g` (inputs, outputs, initializers, node inputs and
// outputs, value infos, node names), subgraphs included.
std::set<std::string> all_names(const onnx::GraphProto& g);
// `base` if not taken, else base_1, base_2, ...; the result is added to `taken`.
std::string fresh_name(std::set<std::string>& taken, const std::string& base);

// Gives every unnamed node (in subgraphs too) a stable name: "<op>_<index in its graph>", in a
// subgraph prefixed with its node's name and attribute ("If_3/then_branch/Add_0"); a name that
// is already used gets a numeric suffix. Done at load, so inspect, layer rules, profiles and
// logs all see the same names. Returns the number of nodes named.
int name_unnamed_nodes(onnx::GraphProto& g);

// Clears every negative dim_value declared in the types of graph inputs, outputs and
// value_info (subgraphs, sequence and optional element types included): such a dim is read
// as unknown, as `-1` conventionally means "dynamic". ONNX 1.12's inference functions index
// with declared dims unchecked, so none may stay negative. Returns the number cleared.
int clear_negative_dims(onnx::GraphProto& g);

// Removes the nodes whose flag is set, keeping the order of the rest.
void erase_nodes(onnx::GraphProto& g, const std::vector<bool>& remove);
// Removes the named initializers and their graph.input entries.
void erase_initializers(onnx::GraphProto& g, const std::set<std::string>& names);
// Removes value_info entries of the named values.
void erase_value_infos(onnx::GraphProto& g, const std::set<std::string>& names);
// Drops initializers in `candidates` that nothing reads any more (nodes, subgraphs, outputs).
// Returns the number dropped.
int erase_unused_initializers(onnx::GraphProto& g, const std::set<std::string>& candidates);

// Graph inputs a caller may feed. IR >= 4: every graph input (an initializer listed as an
// input is an overridable default). IR < 4 lists every initializer as an input by rule, so
// only inputs without an initializer count. (GraphIndex::runtime_inputs() lists the inputs a
// caller must feed: those without an initializer.)
std::set<std::string> fed_inputs(const Model& m);

// Adds `t` as initializer `name` (for IR < 4 models also as a graph input, as required).
void add_initializer(Model& m, const Tensor& t, const std::string& name);
// Reads an initializer of the main graph (external data relative to the model's directory).
Tensor read_initializer(const Model& m, const onnx::TensorProto& p);

// Removes the flagged nodes, each a no-op from input 0 to output 0, by rewiring readers
// of the output to the input. When the output is a graph output the producer of the input
// is renamed instead; a node is kept when that is impossible (input is a graph input,
// initializer, outer value or another graph output). Returns the number removed.
int bypass_nodes(onnx::GraphProto& g, const std::vector<bool>& candidates);

}  // namespace edge

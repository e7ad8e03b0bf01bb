#!/usr/bin/python3
"""Writes tests/fuzz/regressions/fuzz_model_load/guard-*.onnx: variants of the fuzzer's
LayerNormalization crash (layernorm-rank0-fp16-uint64-crash.onnx) for every op with a rank/axis
guard (lib/ir/infer_guards.cc) and for the structural checks (lib/ir/schema_validation.cc). Each
model is invalid; loading it must end in one line naming the node, exit 2, never a crash. The
fuzz replay (ctest fuzz.replay.fuzz_model_load) and tests/unit/test_schema_validation.cc load
them; tests/cli/test_hostile_corpus.sh checks the apps' exit code and message for some.

Usage: /usr/bin/python3 tests/fuzz/make_model_load_regressions.py [OUT_DIR]
"""
import os
import sys

import onnx
from onnx import TensorProto, helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, opset=17, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="fuzz-regression")
    m.ir_version = 8
    return m


def single(op, inputs, attrs=None, outputs=("y",), inits=(), opset=17, extra_nodes=()):
    """One node reading graph inputs [(name, elem, shape)] and writing untyped outputs."""
    node = helper.make_node(op, [i[0] for i in inputs], list(outputs), name=op.lower(), **(attrs or {}))
    graph_inputs = [vi(n, e, s) for n, e, s in inputs if not any(t.name == n for t in inits)]
    return model(list(extra_nodes) + [node], graph_inputs, [vi(outputs[0], F, [])], opset, inits)


def axes_const(name, values):
    return helper.make_tensor(name, I64, [len(values)], values)


CASES = {
    # Rank 0 reaching ops that index dims (the crash class of the fuzzing campaign).
    # With Mean/InvStdDev outputs: ONNX 1.12 writes their dims from `axis` unchecked (the SEGV).
    "guard-layernorm-rank0": single("LayerNormalization", [("x", F, []), ("w", F, [5])], outputs=("y", "mean", "")),
    "guard-layernorm-axis-out-of-range": single("LayerNormalization", [("x", F, [2, 3]), ("w", F, [3])],
                                                {"axis": -5}, outputs=("y", "mean", "inv")),
    "guard-softmax-rank0": single("Softmax", [("x", F, [])]),
    "guard-logsoftmax-axis": single("LogSoftmax", [("x", F, [2, 3])], {"axis": -3}),
    "guard-hardmax-axis": single("Hardmax", [("x", F, [2, 3])], {"axis": 2}),
    "guard-concat-rank-mismatch": single("Concat", [("a", F, [2, 3]), ("b", F, [2])], {"axis": 0}),
    "guard-concat-rank0": single("Concat", [("a", F, []), ("b", F, [])], {"axis": 0}),
    "guard-split-rank0": single("Split", [("x", F, [])]),
    "guard-gather-rank0": single("Gather", [("x", F, []), ("i", I64, [1])]),
    "guard-gather-axis": single("Gather", [("x", F, [2, 3]), ("i", I64, [1])], {"axis": 7}),
    "guard-gatherelements-axis": single("GatherElements", [("x", F, [2, 3]), ("i", I64, [2, 3])], {"axis": -9}),
    "guard-gathernd-rank0": single("GatherND", [("x", F, []), ("i", I64, [1])]),
    "guard-flatten-axis": single("Flatten", [("x", F, [2, 3])], {"axis": 4}),
    "guard-argmax-rank0": single("ArgMax", [("x", F, [])]),
    "guard-reducemean-axes": single("ReduceMean", [("x", F, [2, 3])], {"axes": [3]}),
    "guard-reducesum-axes-input": single("ReduceSum", [("x", F, [2, 3]), ("axes", I64, [1])],
                                         inits=[axes_const("axes", [-5])]),
    "guard-transpose-perm": single("Transpose", [("x", F, [2, 3])], {"perm": [0, 2]}),
    "guard-transpose-perm-length": single("Transpose", [("x", F, [2, 3])], {"perm": [0]}),
    "guard-conv-rank0-inferred": model(
        [helper.make_node("ReduceSum", ["x"], ["s"], name="sum", keepdims=0),
         helper.make_node("Conv", ["s", "w"], ["y"], name="conv")],
        [vi("x", F, [1, 1, 4, 4]), vi("w", F, [1, 1, 3, 3])], [vi("y", F, [])]),
    "guard-maxpool-rank1": single("MaxPool", [("x", F, [4])], {"kernel_shape": [2]}),
    "guard-batchnorm-rank0": single("BatchNormalization", [("x", F, []), ("s", F, [1]), ("b", F, [1]),
                                                          ("m", F, [1]), ("v", F, [1])]),
    "guard-instancenorm-rank1": single("InstanceNormalization", [("x", F, [4]), ("s", F, [1]), ("b", F, [1])]),
    "guard-matmul-rank0": single("MatMul", [("a", F, []), ("b", F, [3])]),
    "guard-gemm-rank1": single("Gemm", [("a", F, [3]), ("b", F, [3, 2])]),
    "guard-unsqueeze-axes": single("Unsqueeze", [("x", F, [2]), ("axes", I64, [1])], inits=[axes_const("axes", [5])]),
    "guard-squeeze-axes": single("Squeeze", [("x", F, [2, 1]), ("axes", I64, [1])], inits=[axes_const("axes", [2])]),
    "guard-topk-rank0": single("TopK", [("x", F, []), ("k", I64, [1])], outputs=("y", "idx")),
    "guard-onehot-axis": single("OneHot", [("i", I64, [3]), ("d", I64, []), ("v", F, [2])], {"axis": 3}),
    "guard-depthtospace-rank2": single("DepthToSpace", [("x", F, [2, 3])], {"blocksize": 2}),
    "guard-trilu-rank1": single("Trilu", [("x", F, [3])]),
    "guard-lstm-rank2": single("LSTM", [("x", F, [2, 3]), ("w", F, [1, 8, 3]), ("r", F, [1, 8, 2])],
                               {"hidden_size": 2}),
    "guard-pad-length": single("Pad", [("x", F, [2, 3]), ("p", I64, [2])], inits=[axes_const("p", [1, 1])]),
    "guard-slice-axes": single("Slice", [("x", F, [2, 3]), ("s", I64, [1]), ("e", I64, [1]), ("a", I64, [1])],
                               inits=[axes_const("s", [0]), axes_const("e", [1]), axes_const("a", [4])]),
    # Ranks only known after ONNX's own inference of earlier nodes.
    "guard-softmax-after-reduce": model(
        [helper.make_node("ReduceMax", ["x"], ["s"], name="max", keepdims=0),
         helper.make_node("Softmax", ["s"], ["y"], name="softmax")],
        [vi("x", F, [3])], [vi("y", F, [])]),
    # Structural checks.
    "guard-attr-wrong-type": single("Softmax", [("x", F, [2, 3])], {"axis": 1.5}),
    "guard-attr-unknown": single("Relu", [("x", F, [2])], {"alpha": 1.0}),
    "guard-attr-missing-required": single("Concat", [("a", F, [2]), ("b", F, [2])]),
    "guard-type-variable-mismatch": single("Add", [("a", F, [2]), ("b", I64, [2])]),
    "guard-type-not-allowed": single("Sqrt", [("a", I64, [2])]),
    "guard-layernorm-type-mismatch": single("LayerNormalization", [("x", TensorProto.FLOAT16, [2, 5]),
                                                                   ("w", F, [5])]),
    "guard-cast-to-invalid": single("Cast", [("a", F, [2])], {"to": 99}),
    "guard-arity-too-many": single("Relu", [("a", F, [2]), ("b", F, [2])]),
}


def edits():
    """Cases the helper cannot make directly."""
    m = single("Gemm", [("a", F, [2, 2]), ("b", F, [2, 2])])
    m.graph.node[0].input[1] = ""
    yield "guard-required-input-empty", m
    m = single("LayerNormalization", [("x", F, [2, 5]), ("w", F, [5])], outputs=("y", "", ""))
    m.graph.input[0].type.tensor_type.elem_type = 0
    yield "guard-graph-input-untyped", m
    m = single("Relu", [("a", F, [2])])
    m.graph.input[0].type.tensor_type.elem_type = 77
    yield "guard-unknown-element-type", m
    then_g = helper.make_graph([helper.make_node("LayerNormalization", ["x", "w"], ["a", "m"], name="inner_ln")], "t", [],
                               [vi("a", F, [])])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["b"], name="inner_id")], "e", [],
                               [vi("b", F, [])])
    node = helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)
    yield "guard-subgraph-layernorm-rank0", model([node], [vi("c", TensorProto.BOOL, []), vi("x", F, []),
                                                           vi("w", F, [5])], [vi("y", F, [])])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "regressions", "fuzz_model_load")
    items = list(CASES.items()) + list(edits())
    for name, m in items:
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    print(f"wrote {len(items)} models to {out}")


if __name__ == "__main__":
    main()

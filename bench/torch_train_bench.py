#!/usr/bin/python3
"""PyTorch training-throughput baseline for bench/distill_targets.sh.

Builds a torch module equivalent to an ONNX model (its graph interpreted node by node with torch
ops; the ONNX initializers become trainable parameters), then times what the distill pass does
per optimizer step: forward, KL(soft teacher || soft student)*T^2 loss against fixed teacher
logits, backward and an Adam step, on the same batch size and thread count. A model whose
batch dim is fixed to 1 (mnist-8) runs sample by sample and accumulates gradients over the batch,
as edge-run's trainer does. Prints one line: {"samples_per_s": ..., "threads": ..., ...}.

  bench/torch_train_bench.py MODEL [--batch 32] [--threads 1] [--steps 30] [--warmup 3]

Only the ops of the fixture models are covered (Conv, Gemm, MatMul, Add, Relu, MaxPool, Reshape,
Flatten, GlobalAveragePool, BatchNormalization in inference form).
"""
import argparse
import json
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv_padding(a, x_shape, k_shape):
    """ONNX pads [b0, b1, ..., e0, e1, ...], SAME_UPPER/SAME_LOWER resolved for these shapes."""
    rank = len(k_shape)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", "VALID"):
        return list(a.get("pads", [0] * (2 * rank))) if auto == "NOTSET" else [0] * (2 * rank)
    strides = a.get("strides", [1] * rank)
    dil = a.get("dilations", [1] * rank)
    begin, end = [], []
    for d in range(rank):
        n, s, k = x_shape[d], strides[d], (k_shape[d] - 1) * dil[d] + 1
        total = max((-(-n // s) - 1) * s + k - n, 0)
        lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
        begin.append(lo)
        end.append(total - lo)
    return begin + end


def initializers(model):
    """(name, numpy array) of every initializer, sparse_initializers made dense."""
    out = [(t.name, numpy_helper.to_array(t).copy()) for t in model.graph.initializer]
    for sp in model.graph.sparse_initializer:
        values = numpy_helper.to_array(sp.values)
        dense = np.zeros(int(np.prod(sp.dims)), dtype=values.dtype)
        idx = numpy_helper.to_array(sp.indices)
        if idx.ndim == 2:
            idx = np.ravel_multi_index(tuple(idx.T), tuple(sp.dims))
        dense[idx] = values
        out.append((sp.values.name, dense.reshape(tuple(sp.dims))))
    return out


class OnnxModule(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.graph = model.graph
        self.names = {}
        self.consts = {}
        for i, (name, arr) in enumerate(initializers(model)):
            if arr.dtype.kind == "f":
                p = torch.nn.Parameter(torch.from_numpy(arr.astype("float32")))
                self.register_parameter(f"p{i}", p)
                self.names[name] = f"p{i}"
            else:
                self.consts[name] = torch.from_numpy(arr)
        inits = {name for name, _ in initializers(model)}
        self.inputs = [i.name for i in model.graph.input if i.name not in inits]

    def forward(self, x):
        v = dict(self.consts)
        for name, attr in self.names.items():
            v[name] = getattr(self, attr)
        v[self.inputs[0]] = x
        for n in self.graph.node:
            a = attrs(n)
            i = [v[k] if k else None for k in n.input]
            op = n.op_type
            if op == "Conv":
                w = i[1]
                rank = w.dim() - 2
                pads = conv_padding(a, list(i[0].shape[2:]), list(w.shape[2:]))
                xin = i[0]
                if any(pads):
                    xin = F.pad(xin, [p for k in reversed(range(rank)) for p in (pads[k], pads[k + rank])])
                y = F.conv2d(xin, w, i[2] if len(i) > 2 else None, stride=a.get("strides", [1] * rank),
                             dilation=a.get("dilations", [1] * rank), groups=a.get("group", 1))
            elif op == "Gemm":
                A = i[0].t() if a.get("transA", 0) else i[0]
                B = i[1].t() if a.get("transB", 0) else i[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(i) > 2 and i[2] is not None:
                    y = y + a.get("beta", 1.0) * i[2]
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "Add":
                y = i[0] + i[1]
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "MaxPool":
                k = a["kernel_shape"]
                pads = conv_padding(a, list(i[0].shape[2:]), k)
                xin = i[0]
                if any(pads):
                    xin = F.pad(xin, [p for d in reversed(range(len(k))) for p in (pads[d], pads[d + len(k)])],
                                value=float("-inf"))
                y = F.max_pool2d(xin, k, stride=a.get("strides", k))
            elif op == "GlobalAveragePool":
                y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                ax = a.get("axis", 1)
                y = i[0].reshape(int(torch.tensor(i[0].shape[:ax]).prod()), -1)
            elif op == "Reshape":
                shape = [int(s) for s in i[1].tolist()]
                shape = [i[0].shape[k] if s == 0 else s for k, s in enumerate(shape)]
                y = i[0].reshape(shape)
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3].detach(), i[4].detach(), i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            else:
                raise SystemExit(f"torch_train_bench: op {op} is not covered")
            v[n.output[0]] = y
        return v[self.graph.output[0].name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = onnx.load(args.model)
    net = OnnxModule(model)
    inits = {name for name, _ in initializers(model)}
    inp = [i for i in model.graph.input if i.name not in inits][0]
    dims = [d.dim_value if d.HasField("dim_value") else 0 for d in inp.type.tensor_type.shape.dim]
    fixed = dims[0] if dims[0] > 0 else 0
    rows = fixed if fixed else args.batch
    shape = [rows] + dims[1:]
    runs = args.batch // fixed if fixed else 1
    x = torch.rand(shape) * 255 if fixed else torch.rand(shape)
    with torch.no_grad():
        teacher = net(x).detach() * 1.1
    temp = float(teacher.std(dim=-1).mean()) or 1.0
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        for _ in range(runs):
            s = net(x)
            loss = F.kl_div(F.log_softmax(s / temp, -1), F.log_softmax(teacher / temp, -1), log_target=True,
                            reduction="batchmean") * temp * temp
            loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    samples = args.steps * (runs * rows if fixed else rows)
    print(json.dumps({"samples_per_s": samples / dt, "threads": args.threads, "batch": args.batch,
                      "rows_per_run": rows, "torch": torch.__version__}))


if __name__ == "__main__":
    sys.exit(main())

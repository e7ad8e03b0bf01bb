"""Exports torchvision classifiers (random weights, seeded) to ONNX as third-party models.

Fixture-generation script, not product: the models are what a user gets from PyTorch's own
exporter (torch.onnx.export, constant folding on, BatchNormalization folded by the exporter,
a symbolic batch dim), so edge-run and the compressor meet graphs nobody here wrote. Weights
are torchvision's random initialisation under a fixed seed (weights=None: no downloads); the
BatchNormalization statistics are then set by a few training-mode passes over seeded random
images so that activations stay in a realistic range through the depth of the network.

    /usr/bin/python3 scripts/export_torchvision.py OUT_DIR [--models mobilenet_v2,resnet18]
        [--size 224] [--opsets 17,13] [--inputs N]

writes OUT_DIR/<model>-op<opset>-<size>.onnx for each model and opset, and with --inputs N
OUT_DIR/input-<size>-b<N>.npy (float32 [N,3,size,size], seeded, ImageNet-normalised
range) to feed both runtimes. Models: mobilenet_v2, resnet18, squeezenet1_1,
shufflenet_v2_x0_5, mnasnet0_5, mobilenet_v3_small (HardSwish, squeeze-excitation) and the
segmentation net lraspp_mobilenet_v3_large (Resize, HardSigmoid gates; output 'out'
[batch,21,size,size], the dict's "out" entry). The same arguments give byte-identical files. Exit 2 on bad
usage; exit 77 with EDGE-SKIP when torch or torchvision cannot be imported.
"""

import argparse
import os
import sys

MODELS = ("mobilenet_v2", "resnet18", "squeezenet1_1", "shufflenet_v2_x0_5", "mnasnet0_5", "mobilenet_v3_small",
          "lraspp_mobilenet_v3_large")
SEGMENTATION = ("lraspp_mobilenet_v3_large",)  # output 'out' [batch, 21, size, size]
SEED = 20260


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--models", default="mobilenet_v2,resnet18")
    p.add_argument("--size", type=int, default=224, help="input height and width")
    p.add_argument("--opsets", default="17", help="comma-separated ai.onnx opsets (13..17)")
    p.add_argument("--inputs", type=int, default=0, help="also write a seeded input .npy of this batch")
    a = p.parse_args()
    a.models = [m for m in a.models.split(",") if m]
    bad = [m for m in a.models if m not in MODELS]
    if bad:
        p.error(f"unknown model(s) {bad}; choose from {list(MODELS)}")
    try:
        a.opsets = [int(o) for o in a.opsets.split(",") if o]
    except ValueError:
        p.error(f"--opsets: expected integers, got '{a.opsets}'")
    if not a.opsets or any(o < 13 or o > 17 for o in a.opsets):
        p.error("--opsets: each opset must be in 13..17 (torch 1.13's exporter)")
    if a.size < 32:
        p.error("--size must be at least 32")
    return a


def seeded_images(torch, n, size, seed):
    g = torch.Generator().manual_seed(seed)
    # Roughly what ImageNet normalisation gives: mean 0, std 1, a little skew per channel.
    x = torch.randn(n, 3, size, size, generator=g)
    return x * torch.tensor([1.0, 0.9, 1.1]).view(1, 3, 1, 1) + torch.tensor([0.1, -0.05, 0.0]).view(1, 3, 1, 1)


def build(torch, torchvision, name, size):
    torch.manual_seed(SEED)
    if name in SEGMENTATION:
        net = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None)

        class OutOnly(torch.nn.Module):  # the exporter wants tensors, not the model's dict
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                return self.m(x)["out"]

        model = OutOnly(net)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    # BatchNorm statistics from data (cumulative average over a few batches) and non-trivial
    # affine parameters, so that the exporter's Conv+BN folding has something to fold.
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for bn in bns:
            bn.momentum = None
            bn.reset_running_stats()
            bn.weight.copy_(1.0 + 0.2 * torch.randn(bn.weight.shape, generator=g))
            bn.bias.copy_(0.1 * torch.randn(bn.bias.shape, generator=g))
        if bns:
            model.train()
            for k in range(3):
                model(seeded_images(torch, 8, size, SEED + 10 + k))
    model.eval()
    return model


def main():
    a = parse_args()
    try:
        import numpy as np
        import torch
        import torchvision
    except ImportError as e:  # the test and the bench skip on this
        print(f"EDGE-SKIP: torch/torchvision not importable ({e}); apt install python3-torch python3-torchvision")
        return 77
    torch.set_num_threads(1)  # deterministic BN statistics
    os.makedirs(a.out_dir, exist_ok=True)
    for name in a.models:
        model = build(torch, torchvision, name, a.size)
        example = seeded_images(torch, 1, a.size, SEED + 99)
        for opset in a.opsets:
            path = os.path.join(a.out_dir, f"{name}-op{opset}-{a.size}.onnx")
            tmp = path + ".tmp"
            out = "out" if name in SEGMENTATION else "logits"
            torch.onnx.export(model, example, tmp, opset_version=opset, input_names=["input"], output_names=[out],
                              dynamic_axes={"input": {0: "batch"}, out: {0: "batch"}}, do_constant_folding=True)
            os.replace(tmp, path)
            print(path)
    if a.inputs > 0:
        x = seeded_images(torch, a.inputs, a.size, SEED + 7).numpy().astype(np.float32)
        path = os.path.join(a.out_dir, f"input-{a.size}-b{a.inputs}.npy")
        np.save(path, x)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

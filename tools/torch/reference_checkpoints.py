"""torch.save fixtures in the reference code's state-dict names (../shared/spec/reference_state_dict.md)
for `mimo import torch` / `mimo export torch`, with the logits PyTorch computes from them in eval mode.

The oracle's modules (mimoconv_oracle.py) carry our names (stem, bind, stages, act, shortcut); their
state dict is renamed to the reference's (conv1/bn1, channelConv/channelLinear, layerS.B.relu1,
downsample.0/1, unbind.0) and ordered as the reference's modules register. Parameters, PReLU slopes
and running statistics are random (seeded), so every mapping is exercised.

    /usr/bin/python3 tools/torch/reference_checkpoints.py                 # write test/fixtures/torch_reference/
        # (plus views.pt: the reader's corner cases, every element type, views into shared storages)
    /usr/bin/python3 tools/torch/reference_checkpoints.py --check-export F.pt --case NAME
        # load a file `mimo export torch` wrote into the reference-named model (strict) and compare its
        # eval logits with the fixture's: the export is what the reference code can load.
"""
import argparse
import collections
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from mimoconv_oracle import Config, MIMOConv  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "torch_reference")

# name, oracle config, how the file is saved: "state_dict" (bare OrderedDict), "training" (the
# reference's per-epoch checkpoint dict), "dataparallel" (names prefixed 'module.')
CASES = [
    ("wrn-10-1_none_N1", Config("wrn", "wrn", 10, 1, 1, "none", 1, 1, seed=201), "state_dict"),
    ("mimonet-10-1_hrr_N1", Config("m1", "mimonet", 10, 1, 1, "hrr", 1, 1, seed=202), "state_dict"),
    ("mimonet-10-1_hrr_N2", Config("m2", "mimonet", 10, 1, 1, "hrr", 2, 2, seed=203), "training"),
    ("mimonet-10-1_hrr_N4", Config("m4", "mimonet", 10, 1, 1, "hrr", 4, 4, seed=204), "dataparallel"),
    ("mimonet-10-1_mbat_N2", Config("mb", "mimonet", 10, 1, 1, "mbat", 2, 2, seed=205), "state_dict"),
]


def reference_name(name):
    """Our module names (the oracle's) -> the reference code's."""
    if name == "bind.keys":
        return "channelConv.weight"
    if name == "bind.weight":
        return "channelLinear.weight"
    m = re.match(r"^unbind\.(weight|bias)$", name)
    if m:
        return f"unbind.0.{m[1]}"
    m = re.match(r"^stem\.(conv|bn)\.(.+)$", name)
    if m:
        return f"{m[1]}1.{m[2]}"
    m = re.match(r"^stages\.(\d+)\.(\d+)\.(.+)$", name)
    if m:
        rest = re.sub(r"^act(\d)\.", r"relu\1.", m[3])
        rest = re.sub(r"^shortcut\.conv\.", "downsample.0.", rest)
        rest = re.sub(r"^shortcut\.bn\.", "downsample.1.", rest)
        return f"layer{int(m[1]) + 1}.{m[2]}.{rest}"
    return name


def reference_order(name):
    # The reference registers the binding and unbinding modules before the stem and the trunk.
    return 0 if name.startswith(("channelConv", "channelLinear")) else 1 if name.startswith("unbind.") else 2


def build(cfg):
    torch.manual_seed(cfg.seed)
    model = MIMOConv(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if re.search(r"\.act\d\.weight$", name):
                p.uniform_(0.1, 0.9)                       # PReLU slopes away from their init
            elif re.search(r"bn\d?\.weight$|shortcut\.bn\.weight$", name):
                p.uniform_(0.5, 1.5)
            elif re.search(r"bn\d?\.bias$|shortcut\.bn\.bias$", name):
                p.uniform_(-0.2, 0.2)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.uniform_(-0.3, 0.3)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 2.0)
            elif name.endswith("num_batches_tracked"):
                b.fill_(1234)
    return model.float()


def reference_state_dict(model):
    sd = model.state_dict()
    items = [(reference_name(k), v.clone()) for k, v in sd.items()]
    items.sort(key=lambda kv: reference_order(kv[0]))                 # stable: keeps module order within
    return collections.OrderedDict(items)


def eval_logits(model, cfg, x):
    m = MIMOConv(cfg).double()
    m.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in model.state_dict().items()})
    m.eval()
    with torch.no_grad():
        logits, _ = m(x.double(), cfg.capacity)
    return logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check-export", help="a .pt file written by `mimo export torch`")
    ap.add_argument("--case", help="the fixture case the exported file came from")
    args = ap.parse_args()
    cases = {name: (cfg, form) for name, cfg, form in CASES}
    if args.check_export:
        cfg, _ = cases[args.case]
        with open(os.path.join(args.out, "expected.json")) as f:
            expected = json.load(f)[args.case]
        obj = torch.load(args.check_export)
        sd = obj["model_state_dict"] if "model_state_dict" in obj else obj
        inverse = {reference_name(k): k for k in MIMOConv(cfg).state_dict().keys()}
        model = MIMOConv(cfg)
        model.load_state_dict({inverse[k]: v for k, v in sd.items()}, strict=True)
        x = torch.tensor(expected["input"]["values"]).reshape(expected["input"]["shape"])
        got = eval_logits(model, cfg, x).flatten().tolist()
        err = max(abs(a - b) for a, b in zip(got, expected["logits"]["values"]))
        print(json.dumps({"case": args.case, "entries": len(sd), "max_abs_logit_error": err}))
        sys.exit(0 if err < 1e-4 else 1)
    os.makedirs(args.out, exist_ok=True)
    expected = {}
    for name, cfg, form in CASES:
        model = build(cfg)
        sd = reference_state_dict(model)
        if form == "training":
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
            for p in model.parameters():
                p.grad = torch.zeros_like(p)
            opt.step()
            obj = {"model_state_dict": sd, "optimizer_state_dict": opt.state_dict(), "scheduler_state_dict": {"last_epoch": 7, "_step_count": 8}, "epoch": 7}
        elif form == "dataparallel":
            obj = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
        else:
            obj = sd
        torch.save(obj, os.path.join(args.out, f"{name}.pt"))
        g = torch.Generator().manual_seed(cfg.seed + 1)
        x = torch.randn(2 * cfg.capacity, 3, 8, 8, generator=g)            # NCHW, two superpositions at n = N
        logits = eval_logits(model, cfg, x)
        expected[name] = {
            "config": {"arch": cfg.model, "depth": cfg.depth, "width": cfg.width, "initial_width": cfg.initial_width,
                       "binding": cfg.binding, "capacity": cfg.capacity, "classes": cfg.classes},
            "form": form, "entries": len(sd),
            "input": {"shape": list(x.shape), "values": x.flatten().tolist()},
            "logits": {"shape": list(logits.shape), "values": logits.flatten().tolist()},
        }
    # The reader's corner cases: views (transposed, offset into a shared storage), every element type
    # a checkpoint may hold, scalars and empty tensors.
    base = torch.arange(12, dtype=torch.float32) - 5.5
    views = collections.OrderedDict([
        ("transposed", base.reshape(3, 4).t()),
        ("offset_slice", base[2:7]),
        ("strided", base.reshape(3, 4)[:, 1::2]),
        ("float64", torch.tensor([[1.0 / 3, -2.5e-300]], dtype=torch.float64)),
        ("float16", torch.tensor([0.5, -1.25, 65504.0, 2.0 ** -24], dtype=torch.float16)),
        ("bfloat16", torch.tensor([1.5, -3.0], dtype=torch.bfloat16)),
        ("int64", torch.tensor([-(2 ** 40), 7, 0])),
        ("int32", torch.tensor([-3, 4], dtype=torch.int32)),
        ("uint8", torch.tensor([0, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("scalar", torch.tensor(2.25)),
        ("empty", torch.zeros(0, 3)),
    ])
    torch.save(views, os.path.join(args.out, "views.pt"))
    expected["views"] = {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                             "values": [float(x) for x in v.flatten().tolist()]} for k, v in views.items()}
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {len(CASES)} fixtures to {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch float64 oracle for the MIMOConv models (SPEC sections 1.1-1.8, 2.5) and fixture writer.

Run with the system python (Debian PyTorch 1.13):  /usr/bin/python3 tools/torch/mimoconv_oracle.py
  [--out DIR]   where to write fixtures (default test/fixtures/mimoconv)
  [--check]     rebuild every model from the existing fixtures' params, recompute, compare
  [--full]      store every parameter and gradient value (big files; for local debugging only)
See tools/torch/README.md for the fixture format and parameter names.
"""
import argparse, json, math, os, sys
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC_TOOLS = os.environ.get("MIMO_SPEC_TOOLS", "/work/shared/spec/tools")
VALUES_LIMIT = 1024      # tensors with at most this many elements are stored element by element
PROBE_SEED = 0x5EED      # seed of the gradient / activation probe vector
BIND_WEIGHT, ISO_WEIGHT = 0.1, 1e-4


@dataclass
class Config:
    name: str
    model: str            # "wrn" (BasicBlock, ReLU, no regularisers) | "mimonet" (AdjustedISOBlock, PReLU, ISO)
    depth: int
    width: int
    initial_width: int
    binding: str          # "none" | "hrr" | "mbat"
    capacity: int         # N
    n: int                # images superposed in this forward pass, n | N
    seed: int
    classes: int = 10
    image_size: int = 8
    batch: int = 4


CASES = [
    Config("01_wrn-10-1_none_N1_n1", "wrn", 10, 1, 1, "none", 1, 1, seed=101),
    Config("02_mimonet-10-1_hrr_N1_n1", "mimonet", 10, 1, 1, "hrr", 1, 1, seed=102),
    Config("03_mimonet-10-1_hrr_N2_n2", "mimonet", 10, 1, 1, "hrr", 2, 2, seed=103),
    Config("04_mimonet-10-1_hrr_N4_n4", "mimonet", 10, 1, 1, "hrr", 4, 4, seed=104),
    Config("05_mimonet-10-1_hrr_N4_n2", "mimonet", 10, 1, 1, "hrr", 4, 2, seed=105),
    Config("06_mimonet-10-1_hrr_N4_n1", "mimonet", 10, 1, 1, "hrr", 4, 1, seed=106),
    Config("07_mimonet-10-1_mbat_N2_n2", "mimonet", 10, 1, 1, "mbat", 2, 2, seed=107),
    Config("08_mimonet-10-1_mbat_N4_n1", "mimonet", 10, 1, 1, "mbat", 4, 1, seed=108),
    Config("09_mimonet-16-1_hrr_N2_n2", "mimonet", 16, 1, 1, "hrr", 2, 2, seed=109),
    Config("10_mimonet-16-1_mbat_N4_n4", "mimonet", 16, 1, 1, "mbat", 4, 4, seed=110),
    Config("11_mimonet-10-1_none_N2_n2", "mimonet", 10, 1, 1, "none", 2, 2, seed=111),
    # extra: iw != width, so C0 = 32 != 16*width and stage 1 gets a stride-1 shortcut (32 -> 16)
    Config("12_mimonet-10-1-iw2_hrr_N2_n2", "mimonet", 10, 1, 2, "hrr", 2, 2, seed=112),
]


# ----------------------------------------------------------------------------- model (SPEC 1.2-1.6)

class Stem(nn.Module):                     # conv3x3 3->C0 (no bias), BN, plain ReLU
    def __init__(self, c0):
        super().__init__()
        self.conv = nn.Conv2d(3, c0, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(c0)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class HRRBinding(nn.Module):
    """Reference form: grouped Conv1d over the channel axis, kernel C0, circular padding C0/2 on both
    sides, output index 0 dropped.  keys: (N, 1, C0), PyTorch Conv1d default init U(+-1/sqrt(C0))."""
    def __init__(self, N, c0):
        super().__init__()
        assert c0 % 2 == 0, "HRR needs an even C0"
        self.N, self.c0 = N, c0
        self.keys = nn.Parameter(torch.empty(N, 1, c0))
        nn.init.kaiming_uniform_(self.keys, a=math.sqrt(5))   # == nn.Conv1d.reset_parameters

    def forward(self, x):                   # x: (G, N, C0, H, W) -> (G, N, C0, H, W)
        G, N, C, H, W = x.shape
        v = x.permute(0, 3, 4, 1, 2).reshape(G * H * W, N, C)
        v = F.pad(v, (C // 2, C // 2), mode="circular")
        v = F.conv1d(v, self.keys, groups=N)[..., 1:]          # length C+1 -> drop index 0
        return v.reshape(G, H, W, N, C).permute(0, 3, 4, 1, 2)


class MBATBinding(nn.Module):
    """Grouped 1x1 Conv2d, in = out = N*C0, groups = N, no bias. weight: (N*C0, C0, 1, 1)."""
    def __init__(self, N, c0):
        super().__init__()
        self.N, self.c0 = N, c0
        self.weight = nn.Parameter(torch.empty(N * c0, c0, 1, 1))

    def forward(self, x):
        G, N, C, H, W = x.shape
        return F.conv2d(x.reshape(G, N * C, H, W), self.weight, groups=N).reshape(G, N, C, H, W)


class Shortcut(nn.Module):                  # 1x1 conv (stride s, no bias) + BN
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    """Pre-activation block. prelu=True: AdjustedISOBlock (PReLU per channel, init 0.5);
    prelu=False: BasicBlock (ReLU). alpha exists but is unused (skip_init off)."""
    def __init__(self, cin, cout, stride, prelu):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(()))
        self.bn1 = nn.BatchNorm2d(cin)
        self.act1 = nn.PReLU(cin, init=0.5) if prelu else nn.ReLU()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.act2 = nn.PReLU(cout, init=0.5) if prelu else nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = Shortcut(cin, cout, stride) if (stride != 1 or cin != cout) else None
        self.conv1.iso_stride, self.conv2.iso_stride = stride, 1
        if self.shortcut is not None:
            self.shortcut.conv.iso_stride = stride

    def forward(self, x):
        h = self.conv1(self.act1(self.bn1(x)))
        h = self.conv2(self.act2(self.bn2(h)))
        return h + (x if self.shortcut is None else self.shortcut(x))


class MIMOConv(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        assert (cfg.depth - 4) % 6 == 0 and cfg.capacity % cfg.n == 0
        self.cfg = cfg
        nb, w, N = (cfg.depth - 4) // 6, cfg.width, cfg.capacity
        self.c0, self.feat = 16 * cfg.initial_width, 64 * w
        self.iso = cfg.model == "mimonet"
        self.stem = Stem(self.c0)
        self.bind = {"hrr": HRRBinding, "mbat": MBATBinding}[cfg.binding](N, self.c0) \
            if cfg.binding != "none" else None
        stages, cin = [], self.c0
        for s, cout in enumerate([16 * w, 32 * w, 64 * w]):
            blocks = []
            for b in range(nb):
                blocks.append(Block(cin, cout, (1 if s == 0 else 2) if b == 0 else 1, prelu=self.iso))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.unbind = None if (cfg.binding == "none" and N == 1) else nn.Conv2d(self.feat, N * self.feat, 1)
        self.fc = nn.Linear(self.feat, cfg.classes)
        for m in self.modules():            # SPEC 1.6 (the ISONet leaky-gain re-init never fires)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight); nn.init.zeros_(m.bias)
        if isinstance(self.bind, MBATBinding):
            nn.init.kaiming_normal_(self.bind.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x, n, trace=None):
        N, B = self.cfg.capacity, x.shape[0]
        B -= B % n                          # remainder dropped (labels too, by the caller)
        x = self.stem(x[:B])
        G = B // n
        if trace is not None: trace["stem_out"] = x
        z = x.reshape(G, n, *x.shape[1:]).repeat(1, N // n, 1, 1, 1)   # slot s holds image s mod n
        if self.bind is not None:
            z = self.bind(z)
        z = z.sum(1)                        # bundle: plain sum over the N slots
        if trace is not None: trace["bundled"] = z
        for s, stage in enumerate(self.stages):
            z = stage(z)
            if trace is not None: trace[f"stage{s + 1}_out"] = z
        p = z.mean((2, 3))                  # global average pool: (G, F)
        if trace is not None: trace["pooled"] = p
        if self.unbind is not None:
            u = F.relu(self.unbind(p[:, :, None, None])).reshape(G, N * self.feat)
            if trace is not None: trace["unbind_out"] = u
            p = u.reshape(G, N // n, n, self.feat).mean(1)   # average the N/n copies of each image
        feats = p.reshape(B, self.feat)
        return self.fc(feats), feats

    def iso_convs(self):
        return [m for m in self.modules() if hasattr(m, "iso_stride")] if self.iso else []


# ----------------------------------------------------------------------------- regularisers (SPEC 1.7)

def r_bind(model):
    if not isinstance(model.bind, HRRBinding):
        return torch.zeros((), dtype=torch.float64)
    W = model.bind.keys.reshape(model.bind.N, -1)
    norms = W.norm(dim=1)
    r = ((norms - 1) ** 2).mean()
    N = W.shape[0]
    if N > 1:
        Wn = W / norms[:, None]
        iu = torch.triu_indices(N, N, 1)
        r = r + ((Wn @ Wn.t())[iu[0], iu[1]] ** 2).sum() / (N * (N - 1) / 2)
    return r


def iso_penalty(K, stride):
    if K.shape[1] < K.shape[0]:
        K = K.transpose(0, 1)               # (c_s, c_l, k, k), c_s <= c_l
    k = K.shape[-1]
    G = F.conv2d(K, K, padding=k - 1, stride=stride)
    T = torch.zeros_like(G)
    c = G.shape[-1] // 2
    T[torch.arange(G.shape[0]), torch.arange(G.shape[0]), c, c] = 1
    return 0.5 * ((G - T) ** 2).sum()


def r_iso(model):
    return sum((iso_penalty(m.weight.double(), m.iso_stride) for m in model.iso_convs()),
               torch.zeros((), dtype=torch.float64))


# ----------------------------------------------------------------------------- portable parameter generator

def fixture_uniform(seed, numel):
    """u_i in [-1, 1): murmur3 fmix32 of (seed + i*0x9E3779B1) mod 2^32, as 2*h/2^32 - 1 (exact in
    float64; see README for the bit-identical TypeScript version)."""
    M = np.uint64(0xFFFFFFFF)
    h = (np.uint64(seed) + np.arange(numel, dtype=np.uint64) * np.uint64(0x9E3779B1)) & M
    h ^= h >> np.uint64(16); h = (h * np.uint64(0x85EBCA6B)) & M
    h ^= h >> np.uint64(13); h = (h * np.uint64(0xC2B2AE35)) & M
    h ^= h >> np.uint64(16)
    return 2.0 * (h.astype(np.float64) / 4294967296.0) - 1.0


def gen_scale(model, name, p):
    """Half-width of the uniform draw: matches the SPEC 1.6 init's spread (same bound for the
    PyTorch-default uniform inits, same variance for the Kaiming-normal fan_out ones)."""
    if name == "bind.keys":
        return 1.0 / math.sqrt(p.shape[-1])
    if name.startswith("fc.") or name == "unbind.bias":
        return 1.0 / math.sqrt(model.feat)
    fan_out = p.shape[0] * p.shape[2] * p.shape[3]                 # Conv2d OIHW
    return math.sqrt(3.0) * math.sqrt(2.0 / fan_out)


def is_generated(name):     # conv/linear weights, biases and keys; BN, PReLU and alpha are stored
    return not any(t in name for t in (".bn", ".act", "alpha"))


def set_fixture_params(model, cfg):
    """Overwrite the init with the portable draw and perturb BN / PReLU (seeded torch.randn)."""
    spec = {}
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            if is_generated(name):
                seed = (cfg.seed * 65536 + k) % 2 ** 32
                scale = gen_scale(model, name, p)
                p.copy_(torch.from_numpy(fixture_uniform(seed, p.numel()) * scale).reshape(p.shape))
                spec[name] = {"seed": seed, "scale": scale}
            elif name.endswith("alpha"):
                pass                                          # unused; stays 0
            else:
                p.add_(0.1 * torch.randn(p.shape, dtype=torch.float64))
    return spec


# ----------------------------------------------------------------------------- fixture writer

def layout_of(name, p):
    if p.dim() == 0: return "scalar"
    if name == "bind.keys": return "N,1,C0 (Conv1d OIK)"
    return {4: "OIHW", 2: "OI (out,in)", 1: "C"}[p.dim()]


def flat(t):
    return t.detach().reshape(-1).tolist()


def digest(t):
    v = t.detach().reshape(-1).double()
    q = torch.from_numpy(fixture_uniform(PROBE_SEED, v.numel()))
    idx = sorted(set([0, v.numel() - 1] + [int(i) for i in
                 (torch.from_numpy(fixture_uniform(PROBE_SEED + 1, 14)) * 0.5 + 0.5) * v.numel()]))
    return {"sum": v.sum().item(), "sum_sq": (v * v).sum().item(), "abs_max": v.abs().max().item(),
            "probe": (v * q).sum().item(), "sample": {"indices": idx, "values": v[idx].tolist()}}


def tensor_entry(t, full, layout=None, with_digest=True):
    e = {"shape": list(t.shape)}
    if layout: e["layout"] = layout
    if full or t.numel() <= VALUES_LIMIT: e["values"] = flat(t)
    if with_digest: e["digest"] = digest(t)
    return e


def run(model, cfg, x, labels):
    model.train()                           # BN always in train mode (SPEC 2.8)
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    trace = {}
    logits, feats = model(x, cfg.n, trace)
    ce = F.cross_entropy(logits, labels[:logits.shape[0]])
    rb, ri = r_bind(model), r_iso(model)
    loss = ce + BIND_WEIGHT * rb + ISO_WEIGHT * ri
    loss.backward()
    grads = {name: (p.grad if p.grad is not None else torch.zeros_like(p))
             for name, p in model.named_parameters()}
    gnorm = torch.sqrt(sum((g * g).sum() for g in grads.values()))   # over parameters only
    grads["input"] = x.grad
    return dict(logits=logits, feats=feats, trace=trace, ce=ce, r_bind=rb, r_iso=ri, loss=loss, grads=grads,
                grad_norm=gnorm)


def make_fixture(cfg, full=False):
    torch.manual_seed(cfg.seed)
    model = MIMOConv(cfg).double()
    gen = set_fixture_params(model, cfg)
    x = torch.randn(cfg.batch, 3, cfg.image_size, cfg.image_size, dtype=torch.float64)
    labels = torch.randint(0, cfg.classes, (cfg.batch,))
    r = run(model, cfg, x, labels)
    params = {}
    for name, p in model.named_parameters():
        e = tensor_entry(p, full or not is_generated(name), layout_of(name, p), with_digest=False)
        if name in gen: e["gen"] = gen[name]
        params[name] = e
    cfgd = {k: v for k, v in asdict(cfg).items() if k != "name"}
    return {
        "name": cfg.name, "format": 1, "config": cfgd,
        "conventions": "see tools/torch/README.md; float64; BN in train mode (batch stats, biased var, eps 1e-5)",
        "param_order": [nm for nm, _ in model.named_parameters()],
        "param_count": sum(p.numel() for p in model.parameters()),
        "params": params,
        "input": {"shape": list(x.shape), "layout": "NCHW", "values": flat(x)},
        "labels": labels.tolist(),
        "logits": tensor_entry(r["logits"], True, with_digest=False),
        "pooled_unbound": tensor_entry(r["feats"], True, with_digest=False),
        "intermediates": {k: tensor_entry(v, full) for k, v in r["trace"].items()},
        "ce": r["ce"].item(), "r_bind": r["r_bind"].item(), "r_iso": r["r_iso"].item(),
        "loss": r["loss"].item(), "grad_norm": r["grad_norm"].item(),
        "grads": {k: tensor_entry(g, full) for k, g in r["grads"].items()},
    }


def load_fixture_params(model, fx):
    with torch.no_grad():
        for name, p in model.named_parameters():
            e = fx["params"][name]
            if "values" in e:
                v = torch.tensor(e["values"], dtype=torch.float64)
            else:
                v = torch.from_numpy(fixture_uniform(e["gen"]["seed"], p.numel()) * e["gen"]["scale"])
            p.copy_(v.reshape(p.shape))
            if "values" in e and "gen" in e:  # small generated tensors carry both: must agree exactly
                g = fixture_uniform(e["gen"]["seed"], p.numel()) * e["gen"]["scale"]
                assert np.array_equal(g, np.array(e["values"])), name


def compare(a, b, path, errs, rtol=1e-9, atol=1e-12):
    if isinstance(a, dict):
        for k in set(a) | set(b):
            if k not in a or k not in b: errs.append(f"{path}.{k}: missing on one side"); continue
            compare(a[k], b[k], f"{path}.{k}", errs, rtol, atol)
    elif isinstance(a, list) and a and isinstance(a[0], float):
        d = np.abs(np.array(a) - np.array(b)); tol = atol + rtol * np.abs(np.array(b))
        if len(a) != len(b) or (d > tol).any():
            errs.append(f"{path}: max abs diff {d.max() if len(a) == len(b) else 'len'}")
    elif isinstance(a, float):
        if abs(a - b) > atol + rtol * abs(b): errs.append(f"{path}: {a} vs {b}")
    elif a != b:
        errs.append(f"{path}: {a!r} vs {b!r}")


def check_fixture(path):
    """Rebuild from the JSON (params materialised as a TypeScript test would), recompute, compare."""
    fx = json.load(open(path))
    cfg = Config(name=fx["name"], **fx["config"])
    model = MIMOConv(cfg).double()
    load_fixture_params(model, fx)
    x = torch.tensor(fx["input"]["values"], dtype=torch.float64).reshape(fx["input"]["shape"])
    r = run(model, cfg, x, torch.tensor(fx["labels"]))
    full = all("values" in e for e in fx["grads"].values())
    got = {"logits": tensor_entry(r["logits"], True, with_digest=False),
           "pooled_unbound": tensor_entry(r["feats"], True, with_digest=False),
           "intermediates": {k: tensor_entry(v, full) for k, v in r["trace"].items()},
           "ce": r["ce"].item(), "r_bind": r["r_bind"].item(), "r_iso": r["r_iso"].item(),
           "loss": r["loss"].item(), "grad_norm": r["grad_norm"].item(),
           "grads": {k: tensor_entry(g, full) for k, g in r["grads"].items()}}
    errs = []
    compare(got, {k: fx[k] for k in got}, fx["name"], errs)
    regen = make_fixture(cfg, full)          # and the seeded generation reproduces the stored file
    compare(regen, fx, fx["name"] + "[regen]", errs)
    return errs


# ----------------------------------------------------------------------------- self-checks

def check_hrr_identity():
    """SPEC 1.5: the Conv1d path == circular convolution with w'[t] = w[(C0/2 - 1 - t) mod C0]."""
    torch.manual_seed(0)
    for N, C in [(1, 8), (3, 16), (4, 32)]:
        b = HRRBinding(N, C).double()
        x = torch.randn(2, N, C, 3, 3, dtype=torch.float64)
        y = b(x)
        w = b.keys.detach()[:, 0, :]
        t = torch.arange(C)
        wp = w[:, (C // 2 - 1 - t) % C]                              # permuted keys (N, C)
        m, j = torch.meshgrid(t, t, indexing="ij")
        circ = wp[:, (m - j) % C]                                    # (N, C, C): y[m] = sum_j w'[m-j] x[j]
        y2 = torch.einsum("imj,gijhw->gimhw", circ, x)
        y3 = torch.fft.ifft(torch.fft.fft(wp)[None, :, :, None, None] * torch.fft.fft(x, dim=2), dim=2).real
        idx = (t[:, None] + 1 + t[None, :] - C // 2) % C            # y[m] = sum_k w[k] x[(m+1+k-C0/2) mod C0]
        ym = torch.einsum("ik,gimkhw->gimhw", w, x[:, :, idx])
        ref = nn.Conv1d(N, N, C, padding=C // 2, padding_mode="circular", groups=N, bias=False).double()
        with torch.no_grad():
            ref.weight.copy_(b.keys)                                 # the reference's literal module
        y0 = ref(x.permute(0, 3, 4, 1, 2).reshape(-1, N, C))[..., 1:].reshape(2, 3, 3, N, C).permute(0, 3, 4, 1, 2)
        for other in (y0, y2, y3, ym):
            assert torch.allclose(y, other, atol=1e-12), f"HRR identity fails for N={N}, C0={C}"
    print("HRR Conv1d path == circular convolution with permuted key: OK")


def check_iso_regulariser():
    """SPEC 5.3: R_iso = 0 for a Dirac square 3x3 conv and an orthogonal 1x1 conv; G shapes."""
    dirac = torch.zeros(8, 8, 3, 3, dtype=torch.float64); dirac[range(8), range(8), 1, 1] = 1
    q = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64))[0]
    assert iso_penalty(dirac, 1).abs() < 1e-12 and iso_penalty(q[:, :, None, None], 2).abs() < 1e-12
    for k, s, S in [(3, 1, 5), (3, 2, 3), (1, 1, 1), (1, 2, 1)]:
        K = torch.randn(4, 6, k, k, dtype=torch.float64)
        assert F.conv2d(K, K, padding=k - 1, stride=s).shape == (4, 4, S, S)
    print("isometry regulariser checks (Dirac, orthogonal 1x1, G shapes): OK")


def check_param_counts(cfgs):
    sys.path.insert(0, SPEC_TOOLS)
    try:
        from mimoconv_cost import wrn_cost
    except ImportError as e:
        print(f"param counts: cannot import mimoconv_cost from {SPEC_TOOLS} ({e}); skipped"); return
    big = [Config("WRN-28-10", "wrn", 28, 10, 1, "none", 1, 1, 0, image_size=32),
           Config("MIMONet-28-10 iw4 HRR N4", "mimonet", 28, 10, 4, "hrr", 4, 4, 0, image_size=32)]
    bad = 0
    for cfg in list(cfgs) + big:
        ours = sum(p.numel() for p in MIMOConv(cfg).parameters())
        nb = (cfg.depth - 4) // 6
        P, _ = wrn_cost([nb] * 3, cfg.width, cfg.initial_width, cfg.capacity, cfg.classes,
                        binding={"none": "None", "hrr": "HRR", "mbat": "MBAT"}[cfg.binding],
                        img=cfg.image_size, iso=cfg.model == "mimonet")
        tool = sum(P.values())
        bad += ours != tool
        print(f"  {cfg.name:34s} torch={ours:>10d}  spec tool={tool:>10d}  {'OK' if ours == tool else 'MISMATCH'}")
    print("param counts vs tools/mimoconv_cost.py:", "all match" if not bad else f"{bad} MISMATCH(ES)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "mimoconv"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--full", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    check_hrr_identity()
    check_iso_regulariser()
    if a.check:
        names = sorted(f for f in os.listdir(a.out) if f.endswith(".json"))
        failed = 0
        for f in names:
            errs = check_fixture(os.path.join(a.out, f))
            failed += bool(errs)
            print(f"  {f}: {'OK' if not errs else 'FAIL'}")
            for e in errs[:20]: print("     ", e)
        print(f"check: {len(names) - failed}/{len(names)} fixtures reproduce")
        sys.exit(1 if failed or not names else 0)
    check_param_counts(CASES)
    os.makedirs(a.out, exist_ok=True)
    total = 0
    for cfg in CASES:
        fx = make_fixture(cfg, a.full)
        path = os.path.join(a.out, cfg.name + ".json")
        with open(path, "w") as fh:
            json.dump(fx, fh, separators=(",", ":"))
            fh.write("\n")
        size = os.path.getsize(path); total += size
        print(f"  wrote {os.path.relpath(path, ROOT)}  {size / 1024:7.1f} KB  loss={fx['loss']:.6f} "
              f"r_bind={fx['r_bind']:.4f} r_iso={fx['r_iso']:.2f} |g|={fx['grad_norm']:.3f} params={fx['param_count']}")
    print(f"total {total / 1024:.1f} KB in {len(CASES)} files")


if __name__ == "__main__":
    main()

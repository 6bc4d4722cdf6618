"""PyTorch peer of `mimo bench conv`: the same MIMOConv architectures built the way the
reference code builds them (HRR binding as a grouped Conv1d with circular padding, the
isometry regulariser on float64 copies of the weights, SPEC §1.5/§1.7), timed on the CPU
with the same batch and printed as the same JSON object.

Run (Debian python3-torch, PyTorch 1.13; 2 threads):
  /usr/bin/python3 bench/torch/mimoconv_bench.py --model mimonet-16-4 --initial-width 2 \\
      --capacity 4 --n 1,2,4 --baseline wrn-16-4 --json
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'tools', 'torch'))
from mimoconv_oracle import Config, MIMOConv, r_bind, r_iso  # noqa: E402


def parse_model(name):
    arch, depth, width = name.split('-')
    if arch not in ('wrn', 'mimonet'):
        raise SystemExit(f"model '{name}': expected wrn-D-W or mimonet-D-W")
    return arch, int(depth), int(width)


def macs_per_image(cfg, n, img):
    """SPEC §1.8 counting (the same as src/models/mimoconv/layout.ts macsPerImage)."""
    c0, N = 16 * cfg.initial_width, cfg.capacity
    hw = img * img
    macs = 9 * 3 * c0 * hw + (c0 * c0 * hw if cfg.binding != 'none' else 0)
    nb, w, trunk, cin = (cfg.depth - 4) // 6, cfg.width, 0, c0
    for s, cout in enumerate([16 * w, 32 * w, 64 * w]):
        for b in range(nb):
            stride = (1 if s == 0 else 2) if b == 0 else 1
            if stride == 2:
                hw //= 4
            trunk += 9 * cin * cout * hw + 9 * cout * cout * hw + (cin * cout * hw if (stride != 1 or cin != cout) else 0)
            cin = cout
    f = 64 * w
    unbind = 0 if (cfg.binding == 'none' and N == 1) else f * N * f / n
    return macs + trunk / n + unbind + f * cfg.classes


def timed(fn, reps, min_seconds=0.0):
    """Median of at least `reps` calls after a warm-up; fast functions repeat until
    `min_seconds` were timed (at most 100 calls), as mimonets' medianSeconds."""
    fn()
    ts = []
    while len(ts) < reps or (sum(ts) < min_seconds and len(ts) < 100):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def bench(arch, depth, width, iw, binding, capacity, ns, batch, img, reps, train, min_seconds=0.0):
    rows = []
    for n in ns:
        cfg = Config('bench', arch, depth, width, iw, binding, capacity, n, seed=1, image_size=img, batch=batch * n)
        torch.manual_seed(1)
        model = MIMOConv(cfg).float()
        x = torch.randn(batch * n, 3, img, img)
        y = torch.arange(batch * n) % 10
        model.eval()
        with torch.no_grad():
            infer = timed(lambda: model(x, n), reps, min_seconds)
        step = float('nan')
        if train:
            model.train()
            opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, weight_decay=1e-5)

            def train_step():
                opt.zero_grad()
                logits, _ = model(x, n)
                loss = F.cross_entropy(logits, y) + 0.1 * r_bind(model).float() + 1e-4 * r_iso(model).float()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1000)
                opt.step()
            step = timed(train_step, reps)
        rows.append({'n': n, 'images_per_s': round(batch * n / infer, 1), 'train_step_s': round(step, 3),
                     'flops_per_image': round(2 * macs_per_image(cfg, n, img))})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='mimonet-16-4')
    ap.add_argument('--initial-width', type=int, default=2)
    ap.add_argument('--binding', default='hrr', choices=['hrr', 'mbat', 'none'])
    ap.add_argument('--capacity', type=int, default=4)
    ap.add_argument('--n', default=None, help='comma list (default 1,2,4 dividing N)')
    ap.add_argument('--baseline', default=None, help='e.g. wrn-16-4 (default: same depth/width; none to skip)')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--image-size', type=int, default=32)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--min-seconds', type=float, default=2.0, help='time inference for at least this long')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--inference-only', action='store_true')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    arch, depth, width = parse_model(a.model)
    ns = [int(v) for v in a.n.split(',')] if a.n else [v for v in (1, 2, 4) if a.capacity % v == 0]
    rows = bench(arch, depth, width, a.initial_width, a.binding, a.capacity, ns, a.batch, a.image_size, a.reps, not a.inference_only, a.min_seconds)
    base_name = a.baseline or f'wrn-{depth}-{width}'
    baseline = None
    if base_name != 'none':
        b_arch, b_depth, b_width = parse_model(base_name)
        r = bench(b_arch, b_depth, b_width, 1, 'none', 1, [1], a.batch, a.image_size, a.reps, not a.inference_only, a.min_seconds)[0]
        baseline = {'model': base_name, 'images_per_s': r['images_per_s'], 'train_step_s': r['train_step_s'], 'flops_per_image': r['flops_per_image']}
    out = {'backend': 'pytorch', 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'cpu': platform.processor() or platform.machine(),
           'model': a.model, 'results': rows, 'baseline': baseline}
    if not a.json:
        for r in rows:
            print(f"n={r['n']}: {r['images_per_s']} images/s, train step {r['train_step_s']} s, {r['flops_per_image'] / 1e6:.1f} MFLOP/img")
        if baseline:
            print(f"baseline {baseline['model']}: {baseline['images_per_s']} images/s, train step {baseline['train_step_s']} s")
    print(json.dumps(out))


if __name__ == '__main__':
    main()

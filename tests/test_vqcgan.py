"VQ-CGAN chapter: the CLI round trip, bad prompts, foreign checkpoints, and the three bugs the chapter must catch."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest
import torch
from torch import nn

torch.set_num_threads(1)
FAST = ['--set', 'steps=4', 'n_train=64', 'n_eval=48', 'batch_size=16', 'restart_every=2']


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('vqcgan')/'run'
    r = t2ilab('train', 'vqcgan', '--preset', 'tiny', '--out', d, *FAST); assert r.returncode == 0, r.stderr
    return d

def test_train_writes_metrics(run_dir):
    m = json.loads((run_dir/'metrics.json').read_text())
    assert m['chapter'] == 'vqcgan' and 0 <= m['caption_accuracy'] <= 1
    for k in ('caption_accuracy_all', 'codes_used', 'perplexity', 'fid_oracle'): assert k in m, k
    assert (run_dir/'samples.png').stat().st_size > 0

def test_generate(run_dir, tmp_path):
    r = t2ilab('generate', 'vqcgan', '--ckpt', run_dir/'checkpoint.pt', '--prompt', 'a blue square', '--n', 2, '--out', tmp_path/'b.png')
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'b.png').exists()
    from t2ilab.vqcgan import generate_vqcgan
    imgs = generate_vqcgan(run_dir/'checkpoint.pt', ['a blue square', 'a small red circle in the top left'], seed=1)
    assert imgs.shape == (2, 3, 32, 32) and 0 <= imgs.min() and imgs.max() <= 1

def test_bad_prompts(run_dir, tmp_path):
    for prompt, words in [('   ', 'empty'), ('Dog wearing sunglasses', 'none of the words')]:
        assert_generate_refuses('vqcgan', run_dir/'checkpoint.pt', prompt, tmp_path/'x.png', words)

def test_foreign_checkpoint_refused(tmp_path):
    assert_generate_refuses('vqcgan', toy_checkpoint(tmp_path), 'a red circle', tmp_path/'x.png', "not a 'vqcgan'")

# --- the bugs the chapter names ---
from t2ilab.vqcgan import VectorQuantizer, CondDiscriminator, straight_through_gap, condition_sensitivity
from cli_helpers import EXE, ENV, t2ilab, assert_clean_error, assert_generate_refuses, toy_checkpoint

def test_straight_through_estimator():
    assert straight_through_gap(VectorQuantizer(16, 8)) == 0
    class Broken(VectorQuantizer):          # returns the codes: no gradient reaches the encoder
        def forward(self, z_e): o = super().forward(z_e); return o._replace(z_q=self.codebook[o.codes])
    assert straight_through_gap(Broken(16, 8)) > 0.1

def _moved(vq):
    z = torch.randn(64, vq.code_dim); before = vq.codebook.detach().clone()
    params = [p for p in vq.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, 1e-2) if params else None
    vq.train(); o = vq(z)
    if opt: opt.zero_grad(); o.loss.backward(); opt.step()
    return (vq.codebook.detach() - before).abs().sum(1)[o.codes.unique()].min().item()

@pytest.mark.parametrize('ema', [False, True])
def test_codebook_updates(ema):
    assert _moved(VectorQuantizer(16, 8, ema=ema)) > 0
    class Frozen(VectorQuantizer):
        def __init__(self, *a, **k): super().__init__(*a, **k); self.codebook.requires_grad_(False); self.ema = False
    assert _moved(Frozen(16, 8)) == 0         # the check trips on a codebook that never learns

def test_discriminator_uses_condition():
    D = CondDiscriminator(cond_dim=32, width=8)
    assert condition_sensitivity(D, 32) > 1e-3
    class Blind(CondDiscriminator):
        def forward(self, x, y, *more): return self.head(self.features(x).mean((2, 3)))[:, 0]
    assert condition_sensitivity(Blind(cond_dim=32, width=8), 32) == 0

def test_shipped_weights_draw_the_caption():
    "The shipped tiny runs load from the package, stay small, and the VQ-CGAN draws colour and shape well above chance (1/80)."
    from t2ilab.vqcgan import tiny_weights_path, load_vqcgan, evaluate_models, load_data
    for quantize in (True, False): assert tiny_weights_path(quantize).stat().st_size < 2_000_000
    models, vocab, cfg, feats = load_vqcgan(tiny_weights_path(True))
    import dataclasses
    eval_ds = load_data(dataclasses.replace(cfg, n_eval=100), 'valid')
    m, imgs = evaluate_models(models, vocab, cfg, eval_ds, 'cpu', feats)
    assert imgs.shape[-1] == cfg.image_size and m['caption_accuracy'] > 0.1, m

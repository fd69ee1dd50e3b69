"VQGAN+CLIP chapter: CLI train/generate round trip, foreign checkpoints, bad prompts and sizes, and the report's procedure."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest
import torch

torch.set_num_threads(1)
FAST = ['--set', 'steps=3', 'n_train=64', 'batch_size=8', 'warmup_steps=1']


from t2ilab.vqgan_clip import (VQGANConfig, VQGANCLIPConfig, build_vqgan, vqgan_clip, prompt_loss, mix_include,
                               MakeCutouts, check_prompt_lists, decode_latent, LATENT_ACTIVATIONS)
from t2ilab.core import T2IError
from cli_helpers import EXE, ENV, t2ilab, assert_clean_error

needs_clip = pytest.mark.skipif(not (Path(__import__('t2ilab').__file__).parent/'weights'/'tiny_clip.pt').exists() and not os.environ.get('T2ILAB_TINY_CLIP'),
                                reason='the tiny CLIP weights are not shipped yet')

@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('vqgan_clip')/'run'
    r = t2ilab('train', 'vqgan_clip', '--preset', 'tiny', '--out', d, *FAST); assert r.returncode == 0, r.stderr
    return d

@needs_clip
def test_train_writes_metrics(run_dir):
    m = json.loads((run_dir/'metrics.json').read_text())
    assert m['chapter'] == 'vqgan_clip' and 0 <= m['caption_accuracy'] <= 1 and 'mse' in m and 'ssim' in m
    assert (run_dir/'samples.png').stat().st_size > 0

@needs_clip
def test_generate_round_trip(run_dir, tmp_path):
    r = t2ilab('generate', 'vqgan_clip', '--ckpt', run_dir/'checkpoint.pt', '--prompt', 'a blue square', '--exclude', 'red',
               '--extras', 'on a black background', '--steps', 3, '--n', 2, '--out', tmp_path/'b.png')
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'b.png').exists()

@needs_clip
def test_bad_prompts_and_foreign_checkpoint(run_dir, tmp_path):
    ck = run_dir/'checkpoint.pt'
    assert_clean_error(t2ilab('generate', 'vqgan_clip', '--ckpt', ck, '--prompt', '  ', '--out', tmp_path/'x.png'), 'empty')
    assert_clean_error(t2ilab('generate', 'vqgan_clip', '--ckpt', ck, '--prompt', 'a red circle ' * 30, '--out', tmp_path/'x.png'), 'at most 77')
    r = t2ilab('train', 'toy', '--out', tmp_path/'toy', '--set', 'steps=2'); assert r.returncode == 0, r.stderr
    assert_clean_error(t2ilab('generate', 'vqgan_clip', '--ckpt', tmp_path/'toy'/'checkpoint.pt', '--prompt', 'a red circle', '--out', tmp_path/'x.png'), "not a 'vqgan'")
    assert not (tmp_path/'x.png').exists()

# --- the procedure, on a random tiny VQGAN and a random CLIP-like model (no weights needed) ---
class FakeClip(torch.nn.Module):
    "OpenAI CLIP's API on a linear image map and a bag of token ids."
    def __init__(self):
        super().__init__()
        self.visual = torch.nn.Module(); self.visual.input_resolution = 16
        self.img = torch.nn.Linear(3 * 16 * 16, 8); self.txt = torch.nn.EmbeddingBag(49408, 8)
    def encode_image(self, x): return self.img(x.flatten(1))
    def encode_text(self, t): return self.txt(t)

@pytest.fixture(scope='module')
def models():
    torch.manual_seed(0)
    return build_vqgan(VQGANConfig.preset('tiny')).eval().requires_grad_(False), FakeClip().requires_grad_(False)

def test_errors(models):
    vq, cl = models
    cfg = VQGANCLIPConfig.preset('tiny', steps=2, n_crops=2)
    with pytest.raises(T2IError, match='include list is empty'): vqgan_clip([], cfg=cfg, vqgan=vq, clip_model=cl)
    with pytest.raises(T2IError, match='at most 77'): vqgan_clip(['a red circle ' * 30], cfg=cfg, vqgan=vq, clip_model=cl)
    with pytest.raises(T2IError, match='not a multiple'): vqgan_clip(['a'], cfg=VQGANCLIPConfig.preset('tiny', size=36), vqgan=vq, clip_model=cl)
    with pytest.raises(T2IError, match='not a multiple'): vqgan_clip(['a'], cfg=VQGANCLIPConfig.preset('paper', size=450))  # before any download
    with pytest.raises(T2IError, match="preset\\('tiny'\\)"):
        from t2ilab.vqgan_clip import load_vqgan; load_vqgan('imagenet_f16_16384', root=Path('/nonexistent'))

def test_seed_procedure(models):
    "Latent shape and init, frames every show_step from show_from, one independent run per include prompt."
    vq, cl = models
    cfg = VQGANCLIPConfig.preset('tiny', steps=12, n_crops=2, show_from=8, show_step=2, lr=0.5)
    r = vqgan_clip(['a red circle', 'a blue square'], cfg=cfg, vqgan=vq, clip_model=cl, progress=False)
    assert r.latents.shape == (2, 32, 4, 4) and r.images.shape == (2, 3, 32, 32)
    assert [s for s, _ in r.frames] == [8, 10]
    cfg0 = VQGANCLIPConfig.preset('tiny', steps=0)
    z0 = vqgan_clip(['x'], cfg=cfg0, vqgan=vq, clip_model=cl, progress=False).latents
    assert z0.abs().max() <= 1 and (z0.abs() > 0).all()          # sin(0.5·ε): in [-1, 1]

def test_runs_are_independent(models):
    "Changing one include prompt must not change the other run's trajectory (would fail if the loss mixed runs)."
    vq, cl = models
    cfg = VQGANCLIPConfig.preset('tiny', steps=5, n_crops=2, noise_factor=0.)
    a = vqgan_clip(['a red circle', 'a blue square'], cfg=cfg, vqgan=vq, clip_model=cl, progress=False).latents
    b = vqgan_clip(['a red circle', 'a green star'], cfg=cfg, vqgan=vq, clip_model=cl, progress=False).latents
    torch.testing.assert_close(a[0], b[0]); assert not torch.allclose(a[1], b[1])

def test_loss_signs_and_extras():
    t = torch.nn.functional.normalize(torch.randn(2, 8), dim=-1); exc = torch.randn(8)
    assert torch.allclose(prompt_loss(t[None], t, None), -torch.ones(2), atol=1e-5)               # −α·cos = −1 at the target
    assert (prompt_loss(exc.expand(1, 2, -1), t, exc) > prompt_loss(exc.expand(1, 2, -1), t, None)).all()   # exclude penalises
    inc, ext = torch.randn(1, 8), torch.randn(8)
    m = mix_include(inc, ext, 1., 0.)                                                                # w2 = 0: no extras
    torch.testing.assert_close(m, inc / inc.norm())                                                 # (the report's code used w1 twice)

def test_cutouts_shape_and_noise():
    c = MakeCutouts(16, n_crops=5, noise_factor=0.)(torch.ones(3, 3, 32, 32))
    assert c.shape == (15, 3, 16, 16) and c.min() >= 0 and c.max() <= 1

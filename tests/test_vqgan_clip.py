"VQGAN+CLIP chapter: CLI train/generate round trip, foreign checkpoints, bad prompts and sizes, and the report's procedure."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest
import torch

torch.set_num_threads(1)
FAST = ['--set', 'steps=3', 'n_train=64', 'batch_size=8', 'warmup_steps=1']


from t2ilab.vqgan_clip import (VQGANConfig, VQGANCLIPConfig, build_vqgan, vqgan_clip, prompt_loss, mix_include,
                               MakeCutouts, check_prompt_lists, decode_latent, LATENT_ACTIVATIONS, centre_latent,
                               foreground_weight, restart_dead_codes, reconstruct, load_vqgan, load_clip, prompt_attrs,
                               TINY_TEMPLATE, encode_text, clip_normalize)
from t2ilab.core import T2IError
from cli_helpers import EXE, ENV, t2ilab, assert_clean_error, assert_generate_refuses, toy_checkpoint

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
    for ck, prompt, words in [(run_dir/'checkpoint.pt', '  ', 'empty'), (run_dir/'checkpoint.pt', 'a red circle ' * 30, 'at most 77'),
                              (toy_checkpoint(tmp_path), 'a red circle', "not a 'vqgan'")]:
        assert_generate_refuses('vqgan_clip', ck, prompt, tmp_path/'x.png', words)

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
    with pytest.raises(T2IError, match='not a multiple'): vqgan_clip(['a'], cfg=VQGANCLIPConfig.preset('tiny', size=34), vqgan=vq, clip_model=cl)
    with pytest.raises(T2IError, match='not a multiple'): vqgan_clip(['a'], cfg=VQGANCLIPConfig.preset('paper', size=450))  # before any download
    with pytest.raises(T2IError, match="preset\\('tiny'\\)"):
        from t2ilab.vqgan_clip import load_vqgan; load_vqgan('imagenet_f16_16384', root=Path('/nonexistent'))

def test_seed_procedure(models):
    "Latent shape and init, frames every show_step from show_from, one independent run per include prompt."
    vq, cl = models
    cfg = VQGANCLIPConfig.preset('tiny', steps=12, n_crops=2, show_from=8, show_step=2, lr=0.5)
    r = vqgan_clip(['a red circle', 'a blue square'], cfg=cfg, vqgan=vq, clip_model=cl, progress=False)
    assert r.latents.shape == (2, 16, 8, 8) and r.images.shape == (2, 3, 32, 32)
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

def test_tiny_crops_stay_inside_the_picture():
    "The report's crops put the picture in a black frame; tiny's must not (the tiny CLIP scores framed washes highest)."
    white = torch.ones(2, 3, 32, 32)
    torch.manual_seed(0)
    tiny = MakeCutouts.from_config(VQGANCLIPConfig.preset('tiny', n_crops=16, noise_factor=0., crop_degrees=0., crop_translate=0.), 16)
    assert tiny(white).min() > 0.99
    report = MakeCutouts.from_config(VQGANCLIPConfig.preset('paper', n_crops=16, noise_factor=0.), 16)
    assert report(white).min() < 0.01

def test_centre_latent_moves_coordinates_only(models):
    "Same reconstructions after centring, and a black picture encodes to z = 0 (fails on a wrong bias shift)."
    torch.manual_seed(0)
    vq = build_vqgan(VQGANConfig.preset('tiny')).eval()
    x = torch.rand(2, 3, 32, 32)
    before = reconstruct(vq, x)
    centre_latent(vq)
    torch.testing.assert_close(reconstruct(vq, x), before, atol=1e-4, rtol=0)
    with torch.no_grad(): z_black = vq.quant_conv(vq.encoder(-torch.ones(1, 3, 32, 32)))
    assert z_black.mean((0, 2, 3)).abs().max() < 1e-4

def test_foreground_weight_and_dead_codes():
    x = torch.zeros(1, 3, 8, 8); x[:, 0, 3:5, 3:5] = 1                      # a red 2×2 square on black
    w = foreground_weight(x, 8.)
    assert w[0, 0, 3, 3] == 9 and w[0, 0, 0, 0] == 1 and w.sum() == 64 + 4 * 8
    q = build_vqgan(VQGANConfig.preset('tiny', n_embed=8)).quantize
    q.register_buffer('usage', torch.tensor([1., 0, 2, 0, 0, 5, 1, 1]), persistent=False)
    old = q.embedding.weight.detach().clone()
    h = torch.full((1, q.e_dim, 2, 2), 7.)
    assert restart_dead_codes(q, h) == 3
    moved = (q.embedding.weight - old).abs().sum(1) > 0
    assert moved.tolist() == [False, True, False, True, True, False, False, False] and (q.usage == 0).all()

# --- the shipped tiny VQGAN and tiny CLIP: the optimisation must draw what the oracle reads ---
@pytest.fixture(scope='module')
def shipped():
    return load_vqgan('tiny'), load_clip('tiny')

@needs_clip
def test_shipped_vqgan_keeps_colour_and_shape(shipped):
    from t2ilab.data import make_shapes
    from t2ilab.metrics import caption_accuracy
    valid = make_shapes('valid', n=128, size=32, channels=3, seed=2)
    x = torch.stack([item[0] for item in valid])
    assert caption_accuracy(reconstruct(shipped[0], x), valid.attrs, keys=('colour', 'shape')) >= 0.85

@needs_clip
def test_prompt_optimisation_is_read_by_the_oracle(shipped):
    "8 colour+shape prompts at tiny: the oracle (not the CLIP optimised against) reads both far above chance (1/80)."
    from t2ilab.metrics import caption_accuracy
    pairs = [('red', 'circle'), ('green', 'square'), ('blue', 'triangle'), ('yellow', 'ring'),
             ('magenta', 'plus'), ('cyan', 'diamond'), ('orange', 'hbar'), ('white', 'star')]
    prompts, attrs = prompt_attrs([c for c, _ in pairs], [s for _, s in pairs], TINY_TEMPLATE)
    r = vqgan_clip(prompts, cfg=VQGANCLIPConfig.preset('tiny'), vqgan=shipped[0], clip_model=shipped[1], progress=False)
    assert caption_accuracy(r.images, attrs, keys=('colour', 'shape')) >= 0.25

@needs_clip
def test_exclude_moves_the_image_away(shipped):
    "Exclude 'green' on a green-square prompt: the tiny CLIP's 'green' score of the result drops (fails if β's sign flips)."
    import torch.nn.functional as F
    vq, cl = shipped
    cfg = VQGANCLIPConfig.preset('tiny', steps=60)
    p = ['a large green square in the centre on a black background'] * 2
    base = vqgan_clip(p, cfg=cfg, vqgan=vq, clip_model=cl, progress=False).images
    excl = vqgan_clip(p, exclude='green', cfg=cfg, vqgan=vq, clip_model=cl, progress=False).images
    with torch.no_grad():
        cos = lambda im: torch.cosine_similarity(cl.encode_image(clip_normalize(F.interpolate(im, 64, mode='bilinear', antialias=True))),
                                                 encode_text(cl, 'green')).mean().item()
        assert cos(excl) < cos(base) - 0.2

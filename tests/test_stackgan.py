"StackGAN chapter: CLI round trip per stage, bad input, foreign checkpoints, and the three bugs the chapter must catch."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest
import torch

torch.set_num_threads(1)
FAST = ['--set', 'steps=3', 'steps2=2', 'n_train=64', 'batch_size=16']

import t2ilab.stackgan as S
from t2ilab.core import T2IError
from t2ilab.train import save_checkpoint
from cli_helpers import EXE, ENV, t2ilab, assert_clean_error, assert_generate_refuses


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('stackgan')/'run'
    r = t2ilab('train', 'stackgan', '--preset', 'tiny', '--stage', 1, '--out', d, *FAST); assert r.returncode == 0, r.stderr
    assert (d/'stage1'/'checkpoint.pt').exists() and not (d/'checkpoint.pt').exists()
    r = t2ilab('train', 'stackgan', '--preset', 'tiny', '--stage', 2, '--out', d, *FAST); assert r.returncode == 0, r.stderr
    return d

def test_train_writes_metrics(run_dir):
    m = json.loads((run_dir/'metrics.json').read_text())
    assert m['chapter'] == 'stackgan' and m['stage'] == 2 and 0 <= m['caption_accuracy'] <= 1
    for k in ('caption_accuracy_stage1', 'caption_accuracy_stage2', 'diversity_stage1'): assert k in m, k
    assert (run_dir/'samples.png').stat().st_size > 0 and (run_dir/'stage1'/'samples.png').stat().st_size > 0

def test_generate_both_stages(run_dir, tmp_path):
    r = t2ilab('generate', 'stackgan', '--ckpt', run_dir/'checkpoint.pt', '--prompt', 'a red star in the top left corner',
               '--n', 2, '--out', tmp_path/'s.png')
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'s.png').exists()
    assert S.generate_stackgan(run_dir/'checkpoint.pt', ['a red star'] * 2).shape == (2, 3, 64, 64)
    assert S.generate_stackgan(run_dir/'stage1'/'checkpoint.pt', ['a red star']).shape == (1, 3, 16, 16)

def test_bad_prompts(run_dir, tmp_path):
    # one CLI round trip for the clean one-line error (each costs a process start); the other prompt through the same function
    assert_generate_refuses('stackgan', run_dir/'checkpoint.pt', '   ', tmp_path/'x.png', 'empty')
    with pytest.raises(T2IError, match='known classes'): S.generate_stackgan(run_dir/'checkpoint.pt', ['a purple cloud'])

def test_foreign_checkpoint_refused(tmp_path):
    foreign = save_checkpoint(tmp_path/'toy.pt', {'kind': 'toy', 'models': {}, 'config': {}})   # another model's checkpoint
    assert_generate_refuses('stackgan', foreign, 'a red star', tmp_path/'x.png', 'not a StackGAN')

def test_stage2_needs_stage1(tmp_path):
    assert_clean_error(t2ilab('train', 'stackgan', '--stage', 2, '--out', tmp_path/'empty', *FAST), '--stage 1')

# --- the bugs the chapter must catch -------------------------------------------------------------

def kl_grows_with_mu(generator_loss):
    "With D fixed, the generator loss must increase as μ moves away from 0."
    D = lambda img, emb: torch.zeros(len(img))
    fake, emb = torch.zeros(2, 3, 16, 16), torch.zeros(2, 4)
    losses = [float(generator_loss(D, fake, emb, torch.full((2, 4), m), torch.zeros(2, 4))) for m in (0., 1., 2.)]
    return losses[0] < losses[1] < losses[2]

def test_kl_sign():
    assert kl_grows_with_mu(S.generator_loss)

def test_kl_sign_flipped_is_caught(monkeypatch):
    monkeypatch.setattr(S, 'kl_loss', lambda mu, log_sigma: -0.5 * (mu.pow(2) + (2 * log_sigma).exp() - 1 - 2 * log_sigma).mean())
    assert not kl_grows_with_mu(S.generator_loss)

def stage2_keeps_stage1(step_fn=S.stage2_step, freeze_fn=S.freeze):
    "Run a few Stage-II steps; True when Stage-I is bit-identical and in no optimiser."
    cfg = S.StackGANConfig.preset('smoke', steps2=3)
    g = torch.Generator().manual_seed(0)
    class Data(torch.utils.data.Dataset):
        def __len__(self): return 32
        def __getitem__(self, i): return torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(i)), torch.randn(18, generator=torch.Generator().manual_seed(i)), {'shape': 0}
    data = Data(); data.embeddings = torch.zeros(32, 1, 18)
    g1 = S.stage1_models(cfg, 18)['gen']
    before = {k: v.clone() for k, v in g1.state_dict().items()}
    cfg2 = cfg.stage2()
    models = {**S.stage2_models(cfg, 18), 'stage1': freeze_fn(g1)}
    tr = S.Trainer(models, S.adam_pair(models, cfg2), step_fn, data, cfg2, kind='stackgan', device='cpu', progress=False)
    tr.fit()
    in_opt = {id(p) for o in tr.opts.values() for grp in o.param_groups for p in grp['params']}
    same = all(torch.equal(v, before[k]) for k, v in g1.state_dict().items())
    return same and not any(id(p) in in_opt for p in g1.parameters())

def test_stage1_frozen():
    assert stage2_keeps_stage1()

def test_unfrozen_stage1_is_caught():
    # the bug: Stage-I left trainable and in train mode (no freeze, no eval in the step)
    def step_without_eval(trainer, batch):
        images, emb, _ = batch
        G, D, G1 = trainer.models['gen'], trainer.models['disc'], trainer.models['stage1']
        low, _, _ = G1(emb)
        fake, mu, ls = G(low, emb)
        trainer.backward(S.discriminator_loss(D, images * 2 - 1, fake, emb, emb.roll(1, 0)), 'disc')
        trainer.backward(S.generator_loss(D, fake, emb, mu, ls), 'gen')
        return {}
    assert not stage2_keeps_stage1(step_without_eval, freeze_fn=lambda m: m)

def text_matters(D):
    torch.manual_seed(0)
    D.eval(); img = torch.rand(4, 3, 16, 16) * 2 - 1
    with torch.no_grad(): return (D(img, torch.randn(4, 18)) - D(img, torch.randn(4, 18))).abs().mean().item() > 1e-5

D_VARIANTS = [(norm, project) for norm in ('batch', 'spectral') for project in (False, True)]

def test_discriminator_reads_text():
    for norm, project in D_VARIANTS: assert text_matters(S.MatchingDiscriminator(18, 8, 8, 16, norm=norm, project=project)), (norm, project)

def test_text_blind_discriminator_is_caught():
    class Blind(S.MatchingDiscriminator):
        def forward(self, img, emb): return super().forward(img, torch.zeros_like(emb))
    for norm, project in D_VARIANTS: assert not text_matters(Blind(18, 8, 8, 16, norm=norm, project=project)), (norm, project)

def test_projection_alone_reads_text():
    "The projection term by itself depends on the text: with the concat path's text zeroed, D still reads it."
    D = S.MatchingDiscriminator(18, 8, 8, 16, norm='spectral', project=True)
    class NoText(torch.nn.Module):
        def forward(self, emb): return torch.zeros(len(emb), 8)
    D.compress = NoText()
    assert text_matters(D)

def test_shipped_weights_draw_their_captions():
    "The shipped tiny StackGAN draws the colour and shape of held-out captions far above chance (1/80), at both stages."
    from t2ilab.metrics import caption_accuracy
    models, cfg, _ = S.load_tiny_stackgan()
    valid = S.stackgan_data(cfg, 'valid', n=128)
    torch.manual_seed(0)
    low, high = S.run_stages(models, valid.embeddings[:, 0])
    for name, imgs in (('Stage-I', low), ('Stage-II', high)):
        acc = caption_accuracy(imgs, valid.base.attrs, keys=('colour', 'shape'))
        assert acc > 0.3, f'{name}: colour+shape caption accuracy {acc:.3f}'

def test_shipped_weights_generate():
    "The tiny weights ship with the package and load as a Stage-II checkpoint: 64 px images from a prompt."
    assert S.tiny_stackgan_path().stat().st_size < 2e6
    imgs = S.generate_stackgan(S.tiny_stackgan_path(), ['a large red circle in the centre on a black background'] * 2)
    assert imgs.shape == (2, 3, 64, 64) and 0 <= imgs.min() and imgs.max() <= 1

"The CVAE chapter from the outside: CLI round trip, foreign checkpoints, bad prompts, wrong sizes, and the bugs its tests must catch."
import json, subprocess, sys, os
from pathlib import Path
import pytest, torch
from t2ilab.core import T2IError
from t2ilab import cvae
from t2ilab.cvae import CVAEConfig, ConvCVAE, FCCVAE, cvae_loss, generate_cvae, LatentBank
from t2ilab.cli import main

FAST = ['--set', 'steps=30', 'n_train=2000', 'n_test=200', 'n_fid=100']

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp('cvae') / 'run'
    assert main(['train', 'cvae', '--preset', 'tiny', '--out', str(out), *FAST]) == 0
    return out

def test_train_writes_metrics_and_samples(run):
    m = json.loads((run / 'metrics.json').read_text())
    assert {'caption_accuracy', 'mse', 'ssim', 'fid'} <= set(m)
    assert (run / 'samples.png').exists() and (run / 'checkpoint.pt').exists()

def test_generate_round_trip(run, tmp_path):
    assert main(['generate', 'cvae', '--ckpt', str(run / 'checkpoint.pt'), '--prompt', 'a big star', '--n', '3', '--out', str(tmp_path / 's.png')]) == 0
    imgs = generate_cvae(run / 'checkpoint.pt', ['a big star', 'Make a circle'], seed=1)
    assert imgs.shape == (2, 1, 28, 28) and 0 <= imgs.min() and imgs.max() <= 1
    assert torch.equal(imgs, generate_cvae(run / 'checkpoint.pt', ['a big star', 'Make a circle'], seed=1))   # seeded

def test_bad_prompts(run, tmp_path, capsys):
    with pytest.raises(T2IError, match='names none of the known classes'): generate_cvae(run / 'checkpoint.pt', ['a big hat'])
    with pytest.raises(T2IError, match='empty'): generate_cvae(run / 'checkpoint.pt', [''])
    assert main(['generate', 'cvae', '--ckpt', str(run / 'checkpoint.pt'), '--prompt', 'a hat', '--out', str(tmp_path / 'x.png')]) == 2
    assert 'names none of the known classes' in capsys.readouterr().err
    assert not (tmp_path / 'x.png').exists()

def test_foreign_checkpoint_refused(tmp_path):
    from t2ilab.train import save_checkpoint
    save_checkpoint(tmp_path / 'gan.pt', {'kind': 'vqcgan', 'models': {}, 'config': {}})
    with pytest.raises(T2IError, match="holds a 'vqcgan' model, not a 'cvae'"): generate_cvae(tmp_path / 'gan.pt', ['a star'])
    torch.save({'weights': 1}, tmp_path / 'other.pt')
    with pytest.raises(T2IError, match='not a t2ilab checkpoint'): generate_cvae(tmp_path / 'other.pt', ['a star'])

def test_wrong_image_size():
    for model in (ConvCVAE(), FCCVAE()):
        with pytest.raises(T2IError, match=r'expects images of shape \(B, 1, 28, 28\); got \(2, 1, 32, 32\)'):
            model(torch.rand(2, 1, 32, 32), torch.tensor([0, 1]))

def test_reconstruction_term_is_summed_per_image():
    "Catches a BCE *mean* (784x too weak against the KL term): -log p(x|z) of x̂=½ is 784·log 2 per image."
    x = torch.rand(3, 1, 28, 28); z = torch.zeros(3, 8)
    _, rec, kl = cvae_loss(torch.full_like(x, 0.5), x, z, z)
    assert abs(rec.item() - 784 * 0.6931) < 0.5 and kl.item() == 0

def test_kl_sign_and_value():
    "Catches a KL with a flipped sign or a σ used as log σ²: KL(N(1, e^0)‖N(0,1)) = ½ per dimension."
    x = torch.rand(2, 1, 28, 28)
    _, _, kl = cvae_loss(x, x, torch.ones(2, 4), torch.zeros(2, 4))
    assert abs(kl.item() - 2.0) < 1e-5

def test_posterior_sampler_uses_the_bank():
    bank = LatentBank(2, size=8); bank.remember(torch.full((8, 2), 5.), torch.full((8, 2), -30.))
    assert torch.allclose(bank.sample(4, 'posterior'), torch.full((4, 2), 5.))
    assert bank.sample(1000, 'prior').mean().abs() < 0.2

def test_decoder_uses_the_class():
    "Catches a decoder that ignores its class embedding: different classes, same z, different images."
    m = ConvCVAE(); z = torch.randn(2, 8)
    with torch.no_grad(): a, b = m.decode(z, torch.tensor([0, 0])), m.decode(z, torch.tensor([1, 1]))
    assert not torch.allclose(a, b)

def test_chapter_listed_with_fashion_preset(capsys):
    assert main(['chapters']) == 0
    line = [l for l in capsys.readouterr().out.splitlines() if l.startswith('cvae')][0]
    assert 'fashion' in line and 'tiny' in line

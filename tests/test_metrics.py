"Fast checks of t2ilab.metrics on the installed package: the shipped oracle's thresholds, MSE, FID, CLIP score."
import math
import pytest
import torch
from t2ilab.data import make_shapes, ATTRIBUTES, GREY_ATTRIBUTES
from t2ilab import metrics as M

torch.set_num_threads(1)
N = 300   # images per check: enough to resolve 0.95 vs 0.98, small enough for < 30 s


@pytest.fixture(scope='module')
def oracle(): return M.load_oracle()


def _images(size, channels, seed=31):
    ds = make_shapes('test', n=N, size=size, channels=channels, seed=seed, heldout='none', cache=False)
    return ds.images.float() / 255, ds.attrs


def test_weights_are_small_and_safe():
    assert M.ORACLE_WEIGHTS.stat().st_size <= 2_000_000
    ckpt = torch.load(M.ORACLE_WEIGHTS, weights_only=True)
    assert ckpt['format'] == M.ORACLE_FORMAT
    assert M.load_oracle() is M.load_oracle()            # cached


@pytest.mark.parametrize('size,channels', [(28, 1), (32, 3), (64, 3)])
def test_oracle_clean(oracle, size, channels):
    x, attrs = _images(size, channels)
    acc = M.attribute_accuracy(x, attrs, oracle)
    assert set(acc) == set(GREY_ATTRIBUTES if channels == 1 else ATTRIBUTES)
    assert min(acc.values()) >= 0.98, acc
    assert M.reject_rate(x, oracle) <= 0.02


@pytest.mark.parametrize('size,channels', [(28, 1), (32, 3)])
def test_oracle_degraded(oracle, size, channels):
    torch.manual_seed(0)
    x, attrs = _images(size, channels, seed=32)
    blurred = M.attribute_accuracy(M.gaussian_blur(x, 1.0), attrs, oracle)
    noisy = M.attribute_accuracy((x + 0.1 * torch.randn_like(x)).clamp(0, 1), attrs, oracle)
    assert min(blurred.values()) >= 0.95, blurred
    assert min(noisy.values()) >= 0.95, noisy


def test_oracle_rejects_noise_and_blobs(oracle):
    torch.manual_seed(0)
    for neg in (M.noise_images(N), M.noise_images(N, 28, 1), M.blob_images(N), M.blob_images(N, 28, 1)):
        assert M.reject_rate(neg, oracle) >= 0.95
    x, attrs = _images(32, 3)
    assert M.caption_accuracy(M.noise_images(N), attrs, oracle=oracle) == 0.0   # rejects are misses


def test_caption_accuracy_counts_rejects_as_misses(oracle):
    x, attrs = _images(32, 3)
    read = M.read_attributes(torch.cat([x[:10], M.noise_images(10)]), oracle)
    assert (read['shape'][10:] == -1).all() and read['rejected'][10:].all()
    full = M.caption_accuracy(x, attrs, oracle=oracle)
    assert full >= 0.95
    wrong = {**attrs, 'position': (attrs['position'] + 1) % 5}
    assert M.caption_accuracy(x, wrong, oracle=oracle) < 0.05


def test_mse_definitions():
    a = torch.zeros(2, 1, 2, 2); b = a.clone(); b[0, 0, 0, 0] = 0.5; b[1, 0, 1] = 1.
    # per image: 0.25 and 2.0 → mean 1.125; per pixel: 2.25 / 8
    assert M.mse_per_image(a, b) == pytest.approx(1.125)
    assert M.mse_per_pixel(a, b) == pytest.approx(0.28125)
    x, y = torch.rand(3, 1, 28, 28), torch.rand(3, 1, 28, 28)
    assert M.mse_per_image(x, y) == pytest.approx(784 * M.mse_per_pixel(x, y), rel=1e-4)
    assert M.ssim(x, x) == pytest.approx(1.0, abs=1e-5)


def test_fid_oracle_features():
    real = make_shapes('test', n=200, size=32, channels=3, seed=1, cache=False).images.float() / 255
    self_fid = M.fid(real, real)
    assert abs(self_fid) < 1e-2 and 'oracle features, N=200' in str(self_fid)
    torch.manual_seed(0)
    noise, halves = M.fid(real, M.noise_images(200)), M.fid(real[:100], real[100:])
    assert noise > 10 and noise > 5 * halves, (noise, halves)
    assert M.format_fid(12.34, 500, 'oracle features') == 'FID 12.3 (oracle features, N=500)'


def test_clip_score_with_random_tiny_clip():
    import clip
    torch.manual_seed(0)
    model = clip.model.CLIP(embed_dim=32, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=8,
                            context_length=77, vocab_size=49408, transformer_width=32, transformer_heads=2,
                            transformer_layers=1).eval()
    ds = make_shapes('test', n=6, size=32, channels=3, text='long', cache=False)
    s = M.clip_score(ds.images.float() / 255, ds.texts, model)
    assert math.isfinite(s) and 0 <= s <= 100

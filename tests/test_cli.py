"The `t2ilab` command as a reader runs it: a real process, real files, one-line errors."
import os, sys, json, shutil, subprocess
from pathlib import Path
import pytest
from cli_helpers import EXE, ENV, t2ilab, assert_clean_error


def test_chapters_lists_presets():
    r = t2ilab('chapters'); assert r.returncode == 0, r.stderr
    assert 'toy' in r.stdout and 'tiny' in r.stdout

def test_chapters_without_toy():
    r = t2ilab('chapters', env={k: v for k, v in ENV.items() if k != 'T2ILAB_TOY_CHAPTER'})
    assert r.returncode == 0 and 'toy' not in r.stdout

@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli')/'run'
    r = t2ilab('train', 'toy', '--out', d, '--seed', 3); assert r.returncode == 0, r.stderr
    return d

def test_train_writes_contract(run_dir):
    m = json.loads((run_dir/'metrics.json').read_text())
    for k in ('chapter', 'preset', 'device', 'seed', 'wall_s', 'mse'): assert k in m
    assert m['chapter'] == 'toy' and m['preset'] == 'tiny' and m['seed'] == 3
    assert (run_dir/'samples.png').stat().st_size > 0 and (run_dir/'checkpoint.pt').exists()

def test_resume_continues(run_dir, tmp_path):
    d = tmp_path/'r'; shutil.copytree(run_dir, d)
    r = t2ilab('train', 'toy', '--out', d, '--resume', '--set', 'steps=40'); assert r.returncode == 0, r.stderr
    from t2ilab.train import load_checkpoint
    assert load_checkpoint(d/'checkpoint.pt')['step'] == 40

def test_generate(run_dir, tmp_path):
    r = t2ilab('generate', 'toy', '--ckpt', run_dir/'checkpoint.pt', '--prompt', 'blue', '--n', 3, '--out', tmp_path/'b.png')
    assert r.returncode == 0, r.stderr
    from PIL import Image
    im = Image.open(tmp_path/'b.png').convert('RGB'); assert im.getpixel((im.width // 2, im.height // 2))[2] > 200

def test_bad_input_one_line_nothing_overwritten(run_dir, tmp_path):
    ckpt = run_dir/'checkpoint.pt'; before = ckpt.read_bytes()
    assert_clean_error(t2ilab('train', 'nosuch'), 'unknown chapter', 'toy')
    assert_clean_error(t2ilab('train', 'toy', '--out', run_dir), 'already holds a checkpoint', '--resume')
    assert ckpt.read_bytes() == before
    assert_clean_error(t2ilab('train', 'toy', '--preset', 'huge', '--out', tmp_path/'h'), 'known presets')
    assert_clean_error(t2ilab('train', 'toy', '--out', tmp_path/'n', '--resume'), 'no', 'checkpoint.pt')
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', tmp_path/'missing.pt', '--prompt', 'red', '--out', tmp_path/'x.png'), 'no checkpoint')
    (tmp_path/'junk.pt').write_bytes(b'\x00' * 100)
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', tmp_path/'junk.pt', '--prompt', 'red', '--out', tmp_path/'x.png'), 'not a readable checkpoint')
    import torch; torch.save({'weights': torch.zeros(3)}, tmp_path/'foreign.pt')
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', tmp_path/'foreign.pt', '--prompt', 'red', '--out', tmp_path/'x.png'), 'not a t2ilab checkpoint')
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', ckpt, '--prompt', '', '--out', tmp_path/'x.png'), 'prompt is empty')
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', ckpt, '--prompt', 'green', '--out', tmp_path/'x.png'), 'only the prompts')
    assert_clean_error(t2ilab('generate', 'toy', '--ckpt', ckpt, '--prompt', 'red'), 'required')
    assert not (tmp_path/'x.png').exists()
    assert ckpt.read_bytes() == before

def test_demo_writes_report(tmp_path):
    r = t2ilab('demo', '--out', tmp_path/'demo', '--chapters', 'toy'); assert r.returncode == 0, r.stderr
    page = (tmp_path/'demo'/'report.html').read_text()
    assert 'data:image/png;base64' in page and '<table>' in page and 'toy' in page

def test_shipped_weights_draw_in_the_report(tmp_path):
    """Every chapter that ships `tiny` weights draws its report prompts with them: one image per prompt, and a
    different image for a different prompt (a model that ignores its text would draw the same noise for all)."""
    from t2ilab.cli import load_chapters, draw_shipped
    from PIL import Image
    shipping = {cid: ch for cid, ch in load_chapters().items() if ch.shipped}
    assert {'vqcgan', 'ddpm', 'stackgan'} <= set(shipping)
    for cid, ch in shipping.items():
        assert ch.shipped().exists(), f'{cid}: {ch.shipped()} is missing'
        r = draw_shipped(ch, tmp_path/f'{cid}.png')
        imgs = ch.generate(ch.shipped(), r['shipped_prompts'][:2], seed=0)
        assert len(r['shipped_prompts']) == 16 and Image.open(tmp_path/f'{cid}.png').size[0] > 8 * imgs.shape[-1]
        assert (imgs[0] - imgs[1]).abs().mean() > 0.02, cid

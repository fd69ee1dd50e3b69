"Fast checks of t2ilab.text: the keyword parsers, OpenAI CLIP failing fast offline, the shipped tiny CLIP."
import time
import pytest, torch
from t2ilab.core import T2IError
from t2ilab.data import FASHION_CLASSES, SHAPES, make_shapes
from t2ilab.text import (FASHION_PARSER, SHAPE_PARSER, ClipTextEncoder, get_text_encoder, load_openai_clip, load_tiny_clip,
                         retrieval_top1, split_for_clip, count_tokens, _reachable)
import clip

torch.set_num_threads(1)

@pytest.mark.parametrize('prompt,cls', [
    ('Make a dress', 'Dress'), ('a warm jacket', 'Coat'), ('sneakers', 'Sneaker'), ('trainers', 'Sneaker'),
    ('boots', 'Ankle boot'), ('t-shirt', 'T-shirt/top'), ('tee', 'T-shirt/top'), ('a top', 'T-shirt/top'),
    ('jumper', 'Pullover'), ('sweater', 'Pullover'), ('handbag', 'Bag'), ('purse', 'Bag'), ('pants', 'Trouser'),
    ('jeans', 'Trouser'), ('sandals', 'Sandal'), ('shirt', 'Shirt'), ('A T-Shirt', 'T-shirt/top')])
def test_fashion_parser(prompt, cls): assert FASHION_CLASSES[FASHION_PARSER.parse(prompt)] == cls

@pytest.mark.parametrize('prompt,cls', [('a red box', 'square'), ('donut', 'ring'), ('x', 'cross'), ('horizontal bar', 'hbar'),
                                        ('hollow circle', 'ring'), ('circle', 'circle'), ('vertical stripe', 'vbar')])
def test_shape_parser(prompt, cls): assert SHAPES[SHAPE_PARSER.parse(prompt)] == cls

def test_shape_parser_reads_generated_captions():
    ds = make_shapes('test', n=500, size=28, channels=3, seed=7)
    assert torch.equal(SHAPE_PARSER.parse_all(ds.long), ds.attrs['shape'])
    assert torch.equal(SHAPE_PARSER.parse_all(ds.short), ds.attrs['shape'])

def test_parser_errors():
    with pytest.raises(T2IError, match='names none of the known classes: T-shirt/top, Trouser'): FASHION_PARSER.parse('a hat')
    with pytest.raises(T2IError, match='names 2 different classes'): FASHION_PARSER.parse('a dress and a coat')
    with pytest.raises(T2IError, match='no prompts given'): FASHION_PARSER.encode([])
    with pytest.raises(T2IError, match='is empty'): SHAPE_PARSER.encode(['a circle', ' \t'])
    with pytest.raises(T2IError, match='known: shapes-keywords'): get_text_encoder('word2vec')
    assert FASHION_PARSER.encode(['a dress']).shape == (1, 10)

def test_openai_clip_fails_fast_offline(tmp_path):
    if _reachable(clip.clip._MODELS['ViT-B/32']): pytest.skip('online: load_openai_clip would download 338 MB')
    t0 = time.perf_counter()
    with pytest.raises(T2IError) as e: load_openai_clip('ViT-B/32', download_root=tmp_path)
    assert time.perf_counter() - t0 < 20
    msg = str(e.value)
    assert 'ViT-B-32.pt' in msg and str(tmp_path) in msg and '~/.cache/clip' in msg and 'tiny' in msg

def test_long_text_is_the_mean_of_its_sentences():
    enc = ClipTextEncoder(load_tiny_clip(), normalize=False)
    text = ('A big red circle sits in the upper left of the picture. The background is black. ' * 5).strip()
    assert count_tokens(text) > 77
    assert torch.allclose(enc([text])[0], enc(split_for_clip(text)).mean(0), atol=1e-4)

RETRIEVAL_BAR = 0.4   # text -> image top-1 among 100 fresh images (chance: 0.01)

def test_tiny_clip_retrieval_on_fresh_images():
    ds = make_shapes('test', n=300, size=64, channels=3, seed=123)
    top1 = retrieval_top1(load_tiny_clip(), ds.images.float() / 255, ds.long)
    assert top1 > RETRIEVAL_BAR, top1

def test_tiny_clip_api():
    m = load_tiny_clip()
    r = m.visual.input_resolution
    li, lt = m(torch.zeros(2, 3, r, r), clip.tokenize(['a red circle', 'a blue box']))
    assert li.shape == lt.shape == (2, 2)
    assert m.encode_text(clip.tokenize(['a red circle'])).shape == (1, m.embed_dim)
    with pytest.raises(T2IError, match='clip_preprocess'): m.encode_image(torch.zeros(1, 3, r // 2, r // 2))

"Fast checks of t2ilab.data on the installed package: determinism, held-out pairs, missing-data messages."
import pytest, torch
from t2ilab.core import T2IError
from t2ilab.data import (make_shapes, sample_attributes, render_shapes, load_fashion_mnist, load_cifar10,
                         load_coco_captions, load_cub, dataset_for, HELD_OUT_COMBOS, COLOURS, SHAPES)

def test_same_arguments_same_bytes():
    a = make_shapes('valid', n=300, size=32, channels=3, seed=7, text='long', cache=False)
    b = make_shapes('valid', n=300, size=32, channels=3, seed=7, text='long', cache=False)
    assert torch.equal(a.images, b.images) and a.long == b.long and a.short == b.short
    assert not torch.equal(a.images, make_shapes('test', n=300, size=32, channels=3, seed=7, cache=False).images)

def test_cache_round_trip(tmp_path):
    a = make_shapes('test', n=10_000, size=28, channels=1, cache=tmp_path)
    b = make_shapes('test', n=10_000, size=28, channels=1, cache=tmp_path)
    assert torch.equal(a.images, b.images) and [p.suffix for p in tmp_path.iterdir()] == ['.pt']

def test_held_out_pairs():
    held = {(COLOURS.index(c), SHAPES.index(s)) for c, s in HELD_OUT_COMBOS}
    pairs = lambda a: set(zip(a['colour'].tolist(), a['shape'].tolist()))
    assert not pairs(sample_attributes(20_000, 3, 'train', 0)) & held
    assert pairs(sample_attributes(1_000, 3, 'test', 0, heldout='only')) == held
    assert held <= pairs(sample_attributes(5_000, 3, 'test', 0))

def test_items_and_sizes():
    for size in (28, 32, 64, 128, 256):
        img, text, attrs = make_shapes('test', n=2, size=size, channels=3)[0]
        assert img.shape == (3, size, size) and img.dtype == torch.float32 and isinstance(text, str)
        assert set(attrs) == {'shape', 'colour', 'size', 'position', 'background'}
    with pytest.raises(T2IError, match='28, 32, 64, 128, 256'): make_shapes(size=100)
    with pytest.raises(T2IError, match='train, valid, test'): make_shapes('dev')

def test_missing_data_sets_say_what_to_do(tmp_path):
    cases = [(lambda: load_fashion_mnist('train', root=tmp_path), 'dataset-fashion-mnist'),
             (lambda: load_cifar10('train', root=tmp_path), 'cifar-10-python.tar.gz'),
             (lambda: load_coco_captions('train', root=tmp_path), 'captions_train2014.json'),
             (lambda: load_cub('train', root=tmp_path), 'CUB_200_2011')]
    for load, hint in cases:
        with pytest.raises(T2IError) as e: load()
        msg = str(e.value)
        assert hint in msg and str(tmp_path) in msg and 'make_shapes(' in msg
    with pytest.raises(T2IError, match='known: shapes'): dataset_for('imagenet')

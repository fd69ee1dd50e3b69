"README.md is generated from nbs/index.ipynb by scripts/make_readme.py; fail when someone forgot to regenerate it."
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _make_readme():
    spec = importlib.util.spec_from_file_location('make_readme', ROOT / 'scripts' / 'make_readme.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


def test_readme_in_sync_with_index_notebook():
    images = {}
    expected = _make_readme().render(images=images)
    actual = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert actual == expected, ('README.md is out of date with nbs/index.ipynb: run `.venv/bin/python '
                                'scripts/make_readme.py` and commit README.md')
    for rel, data in images.items():
        assert (ROOT / rel).is_file() and (ROOT / rel).read_bytes() == data, f'{rel} is out of date: run make_readme.py'


def test_readme_has_the_two_commands():
    text = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert 'bash scripts/setup.sh && .venv/bin/t2ilab demo --out demo' in text
    assert 'bash scripts/setup.sh && bash scripts/test.sh' in text

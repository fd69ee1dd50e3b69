"Run the installed `t2ilab` command as a reader would, and check its one-line errors (shared by the CLI tests)."
import os, sys, shutil, subprocess
from pathlib import Path

EXE = shutil.which('t2ilab') or str(Path(sys.executable).with_name('t2ilab'))
ENV = {**os.environ, 'T2ILAB_TOY_CHAPTER': '1', 'OMP_NUM_THREADS': '1'}

def t2ilab(*args, env=ENV):
    "Run `t2ilab ARGS...` in a real process; returns the CompletedProcess."
    return subprocess.run([EXE, *map(str, args)], env=env, capture_output=True, text=True, timeout=600)

def assert_clean_error(r, *words):
    "Exit status 2, exactly one stderr line starting 't2ilab: error:', no traceback, and each of `words` in it."
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('t2ilab: error:') and 'Traceback' not in r.stderr, r.stderr
    for w in words: assert w in r.stderr, (w, r.stderr)

def assert_generate_refuses(chapter, ckpt, prompt, out, *words):
    "`t2ilab generate CHAPTER` on a bad prompt or checkpoint: a clean one-line error naming `words`, and no image written."
    assert_clean_error(t2ilab('generate', chapter, '--ckpt', ckpt, '--prompt', prompt, '--out', out), *words)
    assert not Path(out).exists(), out

def toy_checkpoint(tmp_path):
    "A checkpoint of the toy chapter: another model's, for the foreign-checkpoint tests."
    d = Path(tmp_path)/'toy'
    r = t2ilab('train', 'toy', '--out', d, '--set', 'steps=2'); assert r.returncode == 0, r.stderr
    return d/'checkpoint.pt'

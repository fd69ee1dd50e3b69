#!/usr/bin/env python
"""Execute notebooks in place so the docs keep their outputs, skipping the cells nbdev_test skips.

Cells flagged with a directive from settings.ini's tst_flags (`#| slow`, `#| gpu`, `#| download`) keep the outputs
they already have (the run that made them, on the hardware their prose names), unless --flags names them.

Cells whose source contains a --keep text also keep their outputs (e.g. a slow training cell whose result ships as a
file, when the other slow cells of the notebook are re-run).

usage: python scripts/execute_nb.py nbs/10_cvae.ipynb [more.ipynb] [--flags slow] [--keep TEXT ...] [--timeout 1800]
"""
import argparse, configparser, re, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

def flagged(cell, flags):
    for line in cell.source.splitlines():
        m = re.match(r'\s*#\s*\|\s*([\w-]+)', line)
        if m and m.group(1) in flags: return True
    return False

def execute(path: Path, skip: set, timeout: int, keep=()):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}})
    t0 = time.time()
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code' or flagged(cell, skip) or any(k in cell.source for k in keep): continue
            client.execute_cell(cell, i)
    nbformat.write(nb, path)
    print(f'{path}: executed in {time.time() - t0:.0f} s (skipped cells flagged {", ".join(sorted(skip))})')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+'); ap.add_argument('--flags', nargs='*', default=[])
    ap.add_argument('--keep', nargs='*', default=[]); ap.add_argument('--timeout', type=int, default=1800)
    a = ap.parse_args()
    cfg = configparser.ConfigParser(); cfg.read(Path(__file__).parents[1]/'settings.ini')
    skip = set(cfg['DEFAULT'].get('tst_flags', '').split()) - set(a.flags)
    for nb in a.notebooks: execute(Path(nb), skip, a.timeout, a.keep)

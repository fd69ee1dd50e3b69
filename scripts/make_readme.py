#!/usr/bin/env python3
"""Write README.md from nbs/index.ipynb without Quarto (`nbdev_readme` needs Quarto, which cannot be had here).

The notebook goes through nbdev's own doc processing (`nbdev.processors.FilterDefaults`: frontmatter, `#| hide`
cells and directives dropped, `show_doc` cells executed); then markdown cells are copied as they are and code cells
become fenced blocks followed by their outputs (markdown outputs as they are, text in a fenced block, images saved
under `index_files/`). Relative links to notebooks (`10_cvae.ipynb`) point into `nbs/` so they work on GitHub.

Usage: python scripts/make_readme.py          # write README.md
       python scripts/make_readme.py --check  # exit 1 if README.md is out of date
"""
from __future__ import annotations
import argparse, base64, configparser, os, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')


def _cfg() -> dict:
    cp = configparser.ConfigParser(delimiters=['=']); cp.read(ROOT / 'settings.ini', encoding='utf-8')
    return dict(cp['DEFAULT'])


def _src(x) -> str: return ''.join(x) if isinstance(x, list) else x


def render(nb_path: Path | None = None, images: dict | None = None) -> str:
    "README.md's text for the readme notebook; image files to write go into `images` ({relative path: bytes})."
    import yaml
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    cfg = _cfg()
    nbs = cfg.get('nbs_path', 'nbs')
    nb_path = nb_path or ROOT / nbs / cfg.get('readme_nb', 'index.ipynb')
    images = {} if images is None else images
    cwd, env = os.getcwd(), os.environ.get('IN_TEST')
    os.chdir(ROOT); os.environ['IN_TEST'] = '1'  # as nbdev's processing does
    try:
        nb = read_nb(nb_path)
        FilterDefaults()(nb)
    finally:
        os.chdir(cwd)
        if env is None: os.environ.pop('IN_TEST', None)
        else: os.environ['IN_TEST'] = env

    def links(md: str) -> str:  # notebooks are in nbs/ while README.md is at the top
        return re.sub(r'(\]\(|href=")(?!https?:|/|#|\.\./)([\w./-]+?\.ipynb(?:#[^)"]*)?)(?=[)"])',
                      lambda m: f'{m.group(1)}{nbs}/{m.group(2)}', md)

    parts, stem = [], nb_path.stem
    for i, cell in enumerate(nb.cells):
        src = _src(cell.source)
        if cell.cell_type == 'raw':
            if src.strip().startswith('---'):
                fm = yaml.safe_load(src.strip().strip('-')) or {}
                head = f"# {fm.get('title', cfg.get('title', ''))}"
                if fm.get('description'): head += f"\n\n> {fm['description']}"
                parts.append(head)
            continue
        if cell.cell_type == 'markdown':
            parts.append(links(src.strip()))
            continue
        d = {m.group(1).lower(): m.group(2).lower() for l in src.splitlines() if (m := _DIRECTIVE.match(l))}
        if d.get('include') == 'false': continue
        code = '\n'.join(l for l in src.splitlines() if not _DIRECTIVE.match(l)).strip('\n')
        if code.strip() and d.get('echo') != 'false': parts.append(f'``` python\n{code}\n```')
        if d.get('output') == 'false': continue
        for j, o in enumerate(cell.get('outputs', [])):
            if o['output_type'] == 'stream':
                parts.append('    ' + _src(o['text']).rstrip('\n').replace('\n', '\n    '))
            elif o['output_type'] == 'error':
                raise ValueError(f'{nb_path.name} has an error output in cell {i}: {o.get("ename")}: {o.get("evalue")}')
            else:
                data = o.get('data', {})
                if 'text/markdown' in data: parts.append(links(_src(data['text/markdown']).strip()))
                elif 'image/png' in data:
                    rel = f'{stem}_files/figure-commonmark/cell-{i}-output-{j}.png'
                    images[rel] = base64.b64decode(_src(data['image/png']))
                    parts.append(f'![]({rel})')
                elif 'text/plain' in data:
                    parts.append('    ' + _src(data['text/plain']).rstrip('\n').replace('\n', '\n    '))
    return '\n\n'.join(p for p in parts if p.strip()) + '\n'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='only check that README.md is up to date')
    a = ap.parse_args(argv)
    images = {}
    text = render(images=images)
    readme = ROOT / 'README.md'
    if a.check:
        if readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `python scripts/make_readme.py`')
        return print('README.md is up to date')
    readme.write_text(text, encoding='utf-8')
    for rel, data in images.items():
        (ROOT / rel).parent.mkdir(parents=True, exist_ok=True); (ROOT / rel).write_bytes(data)
    print(f'wrote README.md ({len(text)} characters, {len(images)} images)')


if __name__ == '__main__': main()

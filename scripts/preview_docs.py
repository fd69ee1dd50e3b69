#!/usr/bin/env python3
"""Build an offline preview of the docs site into `_preview/` (no Quarto needed).

The real site is rendered by Quarto (`nbdev_docs`), which cannot be installed on the machines that build this
project. This script gets as close as it can offline:

1. nbdev's own notebook processing (`nbdev.serve.proc_nbs`, what `nbdev_proc_nbs` runs, minus its attempt to
   install Quarto) writes `_proc/`: frontmatter, `#| hide` cells dropped, `show_doc` cells added and executed,
   doc links added.
2. Each processed notebook is converted to HTML with nbconvert's `lab` template: images embedded as data: URIs,
   `#| echo: false` sources hidden, directives stripped, tables rendered by nbconvert's markdown renderer.
3. Equations: MathJax is fetched from a CDN, which cannot be reached offline, so its script tags are removed and
   every `$...$` / `$$...$$` in markdown is converted to MathML with `latex2mathml`; browsers render MathML
   natively. An equation latex2mathml cannot convert stays visible as TeX source (`<code class="tex">`).
4. Every page gets a sidebar linking all pages in notebook order; `index.html` is the index notebook's page.
   Links to `NN_name.ipynb` and to the real docs host are rewritten to the preview's pages; the Open-in-Colab
   badge image (remote) is replaced by a local SVG copy.

`pages.json` in the output lists {notebook, page, title} for every page (the tests read it).

Usage: python scripts/preview_docs.py [--out _preview] [--workers 2]
"""
from __future__ import annotations
import argparse, base64, html, json, os, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLAB_BADGE = 'https://colab.research.google.com/assets/colab-badge.svg'
BADGE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">'
             '<rect width="117" height="20" rx="3" fill="#555"/><rect x="20" width="97" height="20" rx="3" fill="#f9ab00"/>'
             '<circle cx="10" cy="10" r="6" fill="none" stroke="#f9ab00" stroke-width="3"/>'
             '<text x="68" y="14" fill="#fff" font-family="Verdana,sans-serif" font-size="11" '
             'text-anchor="middle">Open in Colab</text></svg>')


def _skip(p: Path, base: Path) -> bool:
    "nbdev's default skips: names starting with `_` or `.`, checkpoints."
    return any(part.startswith(('_', '.')) for part in p.relative_to(base).parts)


def run_nbdev_processing(workers: int) -> Path:
    "Run nbdev's doc processing into `_proc/` and return that folder."
    os.chdir(ROOT)
    from nbdev.serve import proc_nbs
    return Path(proc_nbs(n_workers=workers))


# ---------------------------------------------------------------------------------------------------------------
# Equations: TeX -> MathML placeholders (so the markdown renderer never sees the maths)

_FENCE = re.compile(r'^(```|~~~).*?^\1[^\n]*$', re.M | re.S)
_CODE_SPAN = re.compile(r'(`+)(?:.+?)\1', re.S)
_DISPLAY = re.compile(r'\$\$(.+?)\$\$|\\\[(.+?)\\\]|(\\begin\{(equation|align|gather|eqnarray)\*?\}.+?\\end\{\4\*?\})', re.S)
_INLINE = re.compile(r'(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)(?<!\\)\$(?!\d)|\\\((.+?)\\\)')


def tex_to_html(tex: str, display: bool) -> str:
    "MathML for `tex`, or the TeX source in a `<code>` where latex2mathml cannot convert it."
    tex = tex.strip()
    try:
        from latex2mathml.converter import convert
        body = re.sub(r'\\begin\{(equation|gather)\*?\}|\\end\{(equation|gather)\*?\}', '', tex)
        return convert(body, display='block' if display else 'inline')
    except Exception:  # latex2mathml lacks some macros: show the source rather than nothing
        delim = '$$' if display else '$'
        return f'<code class="tex">{html.escape(delim + tex + delim)}</code>'


class MathStash:
    "Replace maths in markdown by placeholders; put MathML back into the rendered HTML."
    def __init__(self): self.items: dict[str, str] = {}

    def _put(self, tex, display):
        key = f'T2IMATHPH{len(self.items):05d}X'
        self.items[key] = tex_to_html(tex, display)
        return key

    def stash(self, md: str) -> str:
        out, pos = [], 0
        protected = sorted([m.span() for m in _FENCE.finditer(md)])
        def _text(s):
            s2 = _DISPLAY.sub(lambda m: self._put(next(g for g in m.groups()[:3] if g), True), s)
            return _INLINE.sub(lambda m: self._put(m.group(1) or m.group(2), False), s2)
        def _para(s):  # inside a non-fenced stretch, leave inline code spans alone
            res, p = [], 0
            for m in _CODE_SPAN.finditer(s):
                res += [_text(s[p:m.start()]), m.group(0)]; p = m.end()
            return ''.join(res + [_text(s[p:])])
        for a, b in protected:
            out += [_para(md[pos:a]), md[a:b]]; pos = b
        return ''.join(out + [_para(md[pos:])])

    def restore(self, text: str) -> str:
        for k, v in self.items.items(): text = text.replace(k, v)
        return text


# ---------------------------------------------------------------------------------------------------------------
# Notebook -> HTML

_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')


def _directives(src: str) -> dict[str, str]:
    res = {}
    for line in src.splitlines():
        m = _DIRECTIVE.match(line)
        if m: res[m.group(1).lower()] = m.group(2).lower()
    return res


def _strip_directives(src: str) -> str:
    return '\n'.join(l for l in src.splitlines() if not _DIRECTIVE.match(l)).strip('\n')


def _frontmatter(nb: dict) -> dict:
    import yaml
    if nb['cells'] and nb['cells'][0]['cell_type'] == 'raw':
        src = ''.join(nb['cells'][0]['source']).strip()
        if src.startswith('---'):
            try: return yaml.safe_load(src.strip('-\n')) or {}
            except Exception: return {}
    return {}


def page_name(nb_path: Path, proc: Path, fm: dict) -> str:
    "The page a notebook becomes on the site: nbdev's `output-file` frontmatter, else its stem."
    rel = nb_path.relative_to(proc)
    name = fm.get('output-file') or rel.with_suffix('.html').name
    return (rel.parent / name).as_posix()


def _settings() -> dict:
    import configparser
    cp = configparser.ConfigParser(delimiters=['=']); cp.read(ROOT / 'settings.ini', encoding='utf-8')
    return dict(cp['DEFAULT'])


def prepare_nb(nb: dict, stash: MathStash, link_map: dict[str, str], doc_url: str) -> dict:
    "Turn a processed notebook dict into one nbconvert accepts and renders like the Quarto site would."
    nb['metadata'].pop('execution', None)
    fm = _frontmatter(nb)
    cells = []
    if fm:
        nb['cells'] = nb['cells'][1:]
        head = f"# {fm.get('title', '')}\n\n" + (f"> {fm['description']}\n" if fm.get('description') else '')
        cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': head})

    def fix_md(s: str) -> str:
        s = s.replace(COLAB_BADGE, 'colab-badge.svg')
        s = re.sub(r'(\]\([^)\s]*\))\{[^}\n]*\}', r'\1', s)  # Pandoc link attributes ({target=...}) of show_doc
        if doc_url: s = s.replace(doc_url.rstrip('/') + '/', '')
        s = re.sub(r'(\]\(|href=")([\w./-]+?)\.ipynb(#[^)"]*)?(?=[)"])',
                   lambda m: m.group(1) + link_map.get(m.group(2) + '.ipynb', m.group(2) + '.html') + (m.group(3) or ''), s)
        return stash.stash(s)

    for c in nb['cells']:
        c.pop('has_sd', None)
        c.get('metadata', {}).pop('execution', None)
        src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        if c['cell_type'] == 'markdown':
            c['source'] = fix_md(src)
        elif c['cell_type'] == 'code':
            d = _directives(src)
            if d.get('include') == 'false': continue
            if d.get('output') == 'false': c['outputs'] = []
            c['source'] = _strip_directives(src)
            tags = set(c.setdefault('metadata', {}).get('tags', []))
            if d.get('echo') == 'false' or not c['source'].strip(): tags.add('remove_input')
            c['metadata']['tags'] = sorted(tags)
            for o in c.get('outputs', []):
                data = o.get('data', {})
                if 'text/markdown' in data:
                    md = data['text/markdown']
                    data['text/markdown'] = fix_md(''.join(md) if isinstance(md, list) else md)
        elif c['cell_type'] == 'raw':
            continue  # Quarto passes raw cells to its own formats; nothing to show in HTML
        cells.append(c)
    nb['cells'] = cells
    return fm


_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*', re.I)
_MATHJAX_CFG = re.compile(r'<!-- MathJax configuration -->\s*<script type="text/x-mathjax-config">.*?</script>\s*', re.S)

NAV_CSS = """<style>
.t2i-nav{position:fixed;top:0;left:0;bottom:0;width:230px;overflow:auto;padding:16px 12px;box-sizing:border-box;
 background:#f7f7f9;border-right:1px solid #ddd;font:14px/1.5 system-ui,sans-serif}
.t2i-nav h2{font-size:16px;margin:0 0 8px}.t2i-nav a{display:block;color:#2c3e50;text-decoration:none;padding:2px 4px}
.t2i-nav a.current{font-weight:bold;background:#e3e8ef;border-radius:3px}
body{margin-left:240px !important}
code.tex{background:#fff4e0;padding:0 2px}
math[display=block]{margin:0.6em 0}
</style>"""


def _nav(pages: list[dict], current: str, depth: int) -> str:
    up = '../' * depth
    links = ''.join(f'<a href="{up}{html.escape(p["page"])}"{" class=current" if p["page"] == current else ""}>'
                    f'{html.escape(p["title"])}</a>' for p in pages)
    return f'<nav class="t2i-nav"><h2>{html.escape(_settings().get("title", "docs"))} (offline preview)</h2>{links}</nav>'


def to_html(nb: dict, nb_dir: Path) -> str:
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    node = nbformat.reads(json.dumps(nb), as_version=4)
    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    ex = HTMLExporter(config=c, template_name='lab', embed_images=True,  # Quarto shows no In/Out prompts
                      exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = ex.from_notebook_node(node, resources={'metadata': {'path': str(nb_dir)}})
    return body


def build(out: Path, workers: int = 2, proc: Path | None = None) -> list[dict]:
    proc = proc or run_nbdev_processing(workers)
    cfg = _settings()
    doc_url = cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')
    nbs_path = ROOT / cfg.get('nbs_path', 'nbs')
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)

    nb_files = sorted((p for p in proc.rglob('*.ipynb') if not _skip(p, proc)),
                      key=lambda p: (p.relative_to(proc).parent.as_posix(), p.stem != 'index', p.name))
    loaded, pages = {}, []
    for p in nb_files:
        nb = json.loads(p.read_text(encoding='utf-8'))
        fm = _frontmatter(nb)
        rel = p.relative_to(proc).as_posix()
        page = 'index.html' if rel == 'index.ipynb' else page_name(p, proc, fm)
        loaded[p] = (nb, page)
        pages.append({'notebook': (nbs_path.relative_to(ROOT) / rel).as_posix(), 'page': page,
                      'title': str(fm.get('title') or p.stem)})
    link_map = {}
    for p, (nb, page) in loaded.items():
        rel = p.relative_to(proc)
        link_map[rel.as_posix()] = page
        link_map.setdefault(rel.name, page)

    # assets (figures the notebooks link to) keep their relative paths
    for f in proc.rglob('*'):
        if f.is_file() and f.suffix not in ('.ipynb', '.yml', '.yaml') and not _skip(f, proc):
            dst = out / f.relative_to(proc); dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst)
    (out / 'colab-badge.svg').write_text(BADGE_SVG)

    for p, (nb, page) in loaded.items():
        stash = MathStash()
        prepare_nb(nb, stash, link_map, doc_url)
        body = stash.restore(to_html(nb, p.parent))
        body = _MATHJAX_CFG.sub('', _EXTERNAL_SCRIPT.sub('', body))
        depth = page.count('/')
        if depth: body = body.replace('src="colab-badge.svg"', f'src="{"../" * depth}colab-badge.svg"')
        body = body.replace('</head>', NAV_CSS + '\n</head>', 1)
        body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + _nav(pages, page, depth), body, count=1)
        dst = out / page; dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(body, encoding='utf-8')

    if not any(pg['page'] == 'index.html' for pg in pages):  # no index notebook: a plain list of pages
        (out / 'index.html').write_text('<!doctype html><html><head><meta charset="utf-8"><title>preview</title>'
                                        + NAV_CSS + '</head><body>' + _nav(pages, '', 0) + '</body></html>')
    (out / 'pages.json').write_text(json.dumps(pages, indent=1))
    return pages


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT / '_preview'), help='output folder (replaced)')
    ap.add_argument('--workers', type=int, default=2, help="nbdev processing workers")
    a = ap.parse_args(argv)
    pages = build(Path(a.out).resolve(), a.workers)
    print(f'{len(pages)} pages in {a.out}: ' + ', '.join(p['page'] for p in pages))


if __name__ == '__main__': main()

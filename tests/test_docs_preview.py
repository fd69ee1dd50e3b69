"""The offline docs preview (scripts/preview_docs.py), loaded page by page in headless Chromium.

Fails on: a notebook in nbs/ without a page, an image that does not load, a Python traceback or an unrendered
ANSI error in an output, or a page without its Open-in-Colab badge. Skipped where no Chromium is installed
(`apt-get install -y chromium`, or `bash scripts/setup.sh --with-browser`).
"""
import base64, binascii, functools, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading
import urllib.error, urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROWSER = next((shutil.which(b) for b in ('chromium', 'google-chrome', 'google-chrome-stable', 'chromium-browser')
                if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason='no chromium: apt-get install -y chromium')


def notebooks():
    "Every notebook nbdev renders: nbs/**/*.ipynb minus names starting with _ or . (nbdev's default skips)."
    nbs = ROOT / 'nbs'
    return sorted(p.relative_to(ROOT).as_posix() for p in nbs.rglob('*.ipynb')
                  if not any(s.startswith(('_', '.')) for s in p.relative_to(nbs).parts))


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('preview') / 'site'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'preview_docs.py'), '--out', str(out)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f'preview_docs.py failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}'
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown(); server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


class PageParser(HTMLParser):
    "Collects what the checks need from a rendered DOM."
    def __init__(self):
        super().__init__()
        self.imgs, self.colab_links, self.text, self.stderr = [], [], [], []
        self._links, self._stderr_depth, self._depth = [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ('img', 'br', 'meta', 'link', 'input', 'hr', 'source'): self._depth += 1
        if tag == 'a': self._links.append(a.get('href') or '')
        if tag == 'img':
            self.imgs.append(a.get('src') or '')
            if any('colab.research.google.com' in h for h in self._links):
                self.colab_links.append(next(h for h in reversed(self._links) if 'colab.research.google.com' in h))
        if a.get('data-mime-type') == 'application/vnd.jupyter.stderr' and self._stderr_depth is None:
            self._stderr_depth = self._depth; self.stderr.append('')

    def handle_endtag(self, tag):
        if tag == 'a' and self._links: self._links.pop()
        if tag not in ('img', 'br', 'meta', 'link', 'input', 'hr', 'source'):
            if self._stderr_depth is not None and self._depth <= self._stderr_depth: self._stderr_depth = None
            self._depth -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self._stderr_depth is not None: self.stderr[-1] += data


def dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([BROWSER, '--headless', '--disable-gpu', '--no-sandbox', '--no-first-run',
                            f'--user-data-dir={prof}', '--dump-dom', url],
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '<html' in r.stdout.lower(), f'chromium could not load {url}: {r.stderr[-2000:]}'
    return r.stdout


def image_problem(src: str, page_url: str):
    "None if the image loads, else what is wrong with it."
    if not src: return 'an <img> without src'
    if src.startswith('data:'):
        head, _, payload = src.partition(',')
        try: ok = len(base64.b64decode(payload) if ';base64' in head else payload) > 0
        except (binascii.Error, ValueError): ok = False
        return None if ok else f'an empty or corrupt data: image ({head})'
    url = urljoin(page_url, src)
    if urlparse(url).netloc != urlparse(page_url).netloc:
        return f'{src}: a remote image cannot load offline; ship it in nbs/ or embed it'
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return None if resp.status == 200 and resp.read(1) else f'{src}: empty response'
    except urllib.error.URLError as e:
        return f'{src}: {e}'


def test_every_notebook_has_a_page(site):
    out, base = site
    pages = {p['notebook']: p['page'] for p in json.loads((out / 'pages.json').read_text())}
    missing = [nb for nb in notebooks() if nb not in pages or not (out / pages[nb]).is_file()]
    assert not missing, f'no preview page for: {missing}'
    with urllib.request.urlopen(base + 'index.html', timeout=10) as r: index = r.read().decode()
    unlinked = [nb for nb, page in pages.items() if f'href="{page}"' not in index]
    assert not unlinked, f'index.html does not link the pages of: {unlinked}'


def test_pages_load_in_chromium(site):
    out, base = site
    pages = json.loads((out / 'pages.json').read_text())
    problems = []
    for p in pages:
        url = base + p['page']
        parser = PageParser(); parser.feed(dump_dom(url))
        text = ''.join(parser.text)
        where = f"{p['notebook']} ({p['page']})"
        for src in parser.imgs:
            if (bad := image_problem(src, url)): problems.append(f'{where}: missing image: {bad}')
        if 'Traceback (most recent call last)' in text:
            problems.append(f'{where}: a Python traceback in an output')
        if '\x1b[' in text or re.search(r'\[0;3\dm', text):
            problems.append(f'{where}: unrendered ANSI escape codes (an error output?)')
        for err in parser.stderr:
            if re.search(r'^\s*\w*(Error|Exception)\b.*', err, re.M):
                problems.append(f'{where}: an error on stderr: {err.strip()[:200]}')
        want = f"https://colab.research.google.com/github/t2ilab/t2ilab/blob/main/{p['notebook']}"
        if want not in parser.colab_links:
            problems.append(f'{where}: no Open-in-Colab badge linking {want} (found {parser.colab_links})')
    assert not problems, '\n'.join(problems)

"Exact resume and crash-safe checkpoints, proven with real processes and real kills."
import os, sys, signal, subprocess, time
from pathlib import Path
import torch
import pytest
from t2ilab.train import load_checkpoint

JOB = Path(__file__).with_name('resume_job.py')
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}

def run(*args, **kw):
    return subprocess.run([sys.executable, str(JOB), *map(str, args)], env=ENV, capture_output=True, text=True, timeout=300, **kw)

def weights(path):
    return load_checkpoint(path, kind='resume-test')['models']['net']

def wait_for(pred, proc, timeout=120):
    t0 = time.time()
    while not pred():
        assert proc.poll() is None, f'job ended early: {proc.stdout.read() if proc.stdout else ""}'
        assert time.time() - t0 < timeout, 'timed out waiting for the job'
        time.sleep(0.05)

def test_killed_run_resumes_bit_identical(tmp_path):
    full = run(tmp_path/'full'); assert full.returncode == 0, full.stderr
    # the same run, killed with SIGKILL after its first checkpoint and a few steps more
    proc = subprocess.Popen([sys.executable, str(JOB), str(tmp_path/'killed'), '--sleep', '0.05'], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = tmp_path/'killed'/'checkpoint.pt'
    wait_for(lambda: ckpt.exists() and load_checkpoint(ckpt)['step'] >= 20, proc)
    time.sleep(0.2)  # somewhere between checkpoints
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    step_at_kill = load_checkpoint(ckpt)['step']
    assert 20 <= step_at_kill < 60, step_at_kill
    resumed = run(tmp_path/'killed', '--resume'); assert resumed.returncode == 0, resumed.stderr
    assert 'DONE 60' in resumed.stdout
    a, b = weights(tmp_path/'full'/'checkpoint.pt'), weights(ckpt)
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), f'{k} differs after resume'
    # and the logs agree too
    ha, hb = load_checkpoint(tmp_path/'full'/'checkpoint.pt')['history'], load_checkpoint(ckpt)['history']
    assert [round(h['loss'], 12) for h in ha] == [round(h['loss'], 12) for h in hb]

def test_kill_during_save_keeps_previous_checkpoint(tmp_path):
    first = run(tmp_path, '--steps', '20'); assert first.returncode == 0, first.stderr
    ckpt = tmp_path/'checkpoint.pt'
    before = ckpt.read_bytes()
    proc = subprocess.Popen([sys.executable, str(JOB), str(tmp_path), '--slow-save', '--steps', '20'], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'STALLED'   # the new checkpoint's bytes are written, not yet committed
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert ckpt.read_bytes() == before                    # the previous checkpoint is untouched...
    assert load_checkpoint(ckpt, kind='resume-test')['step'] == 20   # ...and loads
    assert any(p.name.endswith('.tmp') for p in tmp_path.iterdir())  # the torn write went to a temporary file

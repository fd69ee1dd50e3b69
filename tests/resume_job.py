"""A small training job for tests/test_resume.py: run as a real process so that it can be SIGKILLed.

usage: python resume_job.py OUT_DIR [--resume] [--sleep S] [--slow-save]
"""
import sys, time, argparse
import torch
from torch import nn
from torch.utils.data import Dataset
from t2ilab.core import Config, seed_everything
from t2ilab.train import Trainer

class Pairs(Dataset):
    def __init__(self, n=512):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 8, generator=g); self.y = self_y = self.x @ torch.randn(8, 2, generator=g)
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.x[i], self.y[i]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('--resume', action='store_true')
    ap.add_argument('--sleep', type=float, default=0.0); ap.add_argument('--slow-save', action='store_true')
    ap.add_argument('--steps', type=int, default=60)
    a = ap.parse_args()
    torch.set_num_threads(1)
    cfg = Config(steps=a.steps, batch_size=32, lr=1e-2, seed=7, log_every=10, ckpt_every=10)
    seed_everything(cfg.seed)
    net = nn.Sequential(nn.Linear(8, 32), nn.Dropout(0.2), nn.ReLU(), nn.Linear(32, 2))  # dropout: the RNG must resume too
    def step(tr, batch):
        x, y = batch
        loss = ((tr.models['net'](x + 0.05 * torch.randn_like(x)) - y) ** 2).mean()
        tr.backward(loss, 'net')
        if a.sleep: time.sleep(a.sleep)
        return {'loss': loss}
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.5)
    tr = Trainer({'net': net}, {'net': opt}, step, Pairs(), cfg, out_dir=a.out, scheds={'net': sched},
                 kind='resume-test', device='cpu', progress=False)
    if a.slow_save:  # a disk that stalls after the new bytes are written, before they are committed: we get killed there
        import os
        def stalling_fsync(fd):
            print('STALLED', flush=True); time.sleep(60)
        os.fsync = stalling_fsync
        tr.resume(); tr.step += 1; tr.save(); return
    if a.resume: tr.resume()
    tr.fit()
    print('DONE', tr.step, flush=True)

if __name__ == '__main__': main()

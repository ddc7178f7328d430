"""The main job of lars-ts (examples/mnist: 784-128-10 perceptron, LARS) in PyTorch,
as the anchor of bench/trainingJob.ts. It reads the digits and the initial
weights that the bench exported from lars-ts, so both start from the same point.

LARS here is written from the formula lars-ts uses with the example's options
(paper rule, excludeBiasFromLARS):
  weights: lambda = eta*|w| / (|g| + wd*|w| + eps)   (1 when |w| or |g| is 0)
           d = g + wd*w
  biases:  lambda = 1, d = g
  v <- mu*v + lr*lambda*d ;  w <- w - v
and the learning rate of lars-ts's schedule: linear warmup lr*s/W over the first
W steps, then lr*(1 - t/T)^power with t = s - W - 1, T = total - W.

Usage: python3 mnist_lars.py DATA THREADS EPOCHS BATCH LR WARMUP_EPOCHS
Prints one JSON line: seconds, per-epoch milliseconds, final test accuracy.
"""

import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_data(path):
    with open(path, 'rb') as f:
        n_train, n_test, pixels, hidden, classes, seed = struct.unpack('<6i', f.read(24))

        def floats(count):
            return torch.from_numpy(np.frombuffer(f.read(4 * count), dtype='<f4').copy())

        def labels(count):
            return torch.from_numpy(np.frombuffer(f.read(count), dtype=np.uint8).astype(np.int64))

        x_train = floats(n_train * pixels).reshape(n_train, pixels)
        y_train = labels(n_train)
        x_test = floats(n_test * pixels).reshape(n_test, pixels)
        y_test = labels(n_test)
        w0 = floats(pixels * hidden).reshape(pixels, hidden)
        b0 = floats(hidden)
        w1 = floats(hidden * classes).reshape(hidden, classes)
        b1 = floats(classes)
    return x_train, y_train, x_test, y_test, [w0, b0, w1, b1], seed


def learning_rate(step, lr, warmup_steps, total_steps, power):
    if warmup_steps > 0 and step <= warmup_steps:
        return lr * step / warmup_steps
    span = total_steps - warmup_steps
    if span <= 0:
        return lr
    progress = min(max(step - warmup_steps - 1, 0), span) / span
    return lr * (1 - progress) ** power


def main():
    path, threads, epochs, batch, lr, warmup_epochs = sys.argv[1:7]
    threads, epochs, batch, lr, warmup_epochs = int(threads), int(epochs), int(batch), float(lr), int(warmup_epochs)
    torch.set_num_threads(threads)
    x_train, y_train, x_test, y_test, init, seed = read_data(path)
    # lars-ts stores a weight as in x out; torch's Linear wants out x in, so w is used as x @ w directly.
    w0, b0, w1, b1 = [t.clone().requires_grad_(True) for t in init]
    params = [(w0, True), (b0, False), (w1, True), (b1, False)]
    buffers = [torch.zeros_like(p) for p, _ in params]
    momentum, weight_decay, eta, eps, power = 0.9, 5e-4, 0.001, 1e-8, 2
    n = x_train.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    warmup_steps = warmup_epochs * steps_per_epoch
    total_steps = epochs * steps_per_epoch
    generator = torch.Generator().manual_seed(seed)
    step = 0
    epoch_ms = []
    accuracy = 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for s in range(steps_per_epoch):
            rows = order[s * batch:(s + 1) * batch]
            x, y = x_train[rows], y_train[rows]
            hidden = torch.relu(x @ w0 + b0)
            loss = F.cross_entropy(hidden @ w1 + b1, y)
            for p, _ in params:
                p.grad = None
            loss.backward()
            step += 1
            rate = learning_rate(step, lr, warmup_steps, total_steps, power)
            with torch.no_grad():
                for (p, is_weight), buf in zip(params, buffers):
                    g = p.grad
                    if is_weight:
                        w_norm = float(p.norm())
                        g_norm = float(g.norm())
                        ratio = 1.0 if w_norm == 0 or g_norm == 0 else eta * w_norm / (g_norm + weight_decay * w_norm + eps)
                        d = g.add(p, alpha=weight_decay)
                    else:
                        ratio = 1.0
                        d = g
                    buf.mul_(momentum).add_(d, alpha=rate * ratio)
                    p.sub_(buf)
        with torch.no_grad():
            logits = torch.relu(x_test @ w0 + b0) @ w1 + b1
            accuracy = float((logits.argmax(1) == y_test).float().mean())
        epoch_ms.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - start
    print(json.dumps({'threads': threads, 'seconds': seconds, 'epochMs': epoch_ms, 'testAccuracy': accuracy,
                      'torch': torch.__version__}))


if __name__ == '__main__':
    main()

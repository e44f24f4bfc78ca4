"""Progress of a long training phase (thousands of iterations of the VAAL family), and its loss
curve, from one Keras callback.

On a terminal: one line rewritten in place, at most once a second (iteration, it/s, ETA, losses).
Elsewhere (a log file, CI): a plain line at every tenth of the way. Every `total // points`
iterations the model's loss trackers are read and reset, so each point of the curve is the mean
over its own stretch of iterations rather than a running mean since the start. A round resumed from
its saved state (`round_state.py`) starts at iteration `start` with the curve it had there.
"""
import sys
import time
from typing import Optional

import keras


class IterationProgress(keras.callbacks.Callback):
    def __init__(self, total: int, label: str, out=sys.stdout, points: int = 100, enabled: bool = True,
                 heading: str = "", start: int = 0, curves: Optional[dict] = None):
        super().__init__()
        self.total, self.label, self.out, self.enabled, self.heading = total, label, out, enabled, heading
        self.start = start
        self.every = max(1, total // points)
        self.curves = {name: list(values) for name, values in (curves or {}).items()}
        self._interactive = enabled and out.isatty()
        self._start = self._last_print = 0.0
        self._next_plain = 0

    def on_train_begin(self, logs=None):
        self._start = self._last_print = time.perf_counter()
        tenth = max(1, self.total // 10)
        self._next_plain = (self.start // tenth + 1) * tenth
        if self.enabled and self.heading:
            self.out.write(f"  {self.label}: {self.heading}\n")
        if self.enabled and self.start:
            self.out.write(f"  {self.label}: resumed at iteration {self.start} from the round's saved state\n")

    def on_train_batch_end(self, batch, logs=None):
        done = self.start + batch + 1
        if done % self.every == 0 or done == self.total:
            for metric in self.model.metrics:
                self.curves.setdefault(metric.name, []).append(float(metric.result()))
                metric.reset_state()
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._interactive and (now - self._last_print >= 1.0 or done == self.total):
            self.out.write("\r" + self._line(done, now) + ("\n" if done == self.total else ""))
            self.out.flush()
            self._last_print = now
        elif not self._interactive and (done >= self._next_plain or done == self.total):
            self.out.write(self._line(done, now) + "\n")
            self.out.flush()
            self._next_plain += max(1, self.total // 10)

    def _line(self, done: int, now: float) -> str:
        rate = (done - self.start) / max(now - self._start, 1e-9)
        eta = (self.total - done) / rate
        losses = " ".join(f"{name}={values[-1]:.4f}" for name, values in self.curves.items())
        return (f"  {self.label}: {done}/{self.total} it, {rate:.1f} it/s, "
                f"ETA {int(eta // 60)}m{int(eta % 60):02d}s {losses}").rstrip()

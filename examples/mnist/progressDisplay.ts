import cliProgress from 'cli-progress';
import { type EpochRecord, type TrainingProgress } from '../../src/index.js';

/** Shows a run's progress: a live bar on a terminal, plain lines elsewhere (CI, pipes). */
export interface ProgressDisplay {
  /** After each step. */
  onProgress(p: TrainingProgress): void;
  /** After each epoch: prints its line. */
  onEpoch(r: EpochRecord): void;
  /** Ends the bar. */
  stop(): void;
}

/** One line per epoch: loss, accuracy, lr, time. */
export function formatEpochLine(label: string, r: EpochRecord, epochs: number): string {
  const acc = r.testAccuracy === null ? '   n/a' : `${(r.testAccuracy * 100).toFixed(2)}%`;
  return `${label} epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  loss ${r.trainLoss.toFixed(4)}  test acc ${acc}  lr ${r.learningRate.toPrecision(3)}  ${(r.milliseconds / 1000).toFixed(2)} s`;
}

/** A display for a run of `epochs` epochs; `tty` chooses the live bar. */
export function createProgressDisplay(label: string, epochs: number, tty: boolean): ProgressDisplay {
  if (!tty) {
    return {
      onProgress: () => {},
      onEpoch: (r) => console.log(formatEpochLine(label, r, epochs)),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | epoch {epoch}/${epochs} | loss {loss} | lr {lr} | eta {eta}s`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(p) {
      const total = epochs * p.stepsPerEpoch;
      const done = (p.epoch - 1) * p.stepsPerEpoch + p.step;
      const payload = { epoch: p.epoch, loss: p.loss.toFixed(4), lr: p.learningRate.toPrecision(3) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else bar.update(done, payload);
    },
    onEpoch(r) {
      if (started) bar.stop();
      console.log(formatEpochLine(label, r, epochs));
      started = false;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

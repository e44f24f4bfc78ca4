"""The seed's Figure 3 from a finished run: test images with the classifier's verdict (frame green
when right, red when wrong) above their M2-VAAL reconstructions, as the run's last round logged them
to TensorBoard (`images/reconstructions`), written out as a PNG for docs/RESULTS.md.

  python scripts/figure3.py --run logs/grid/B_m2vaal_seed0 --out docs/results/grid/B_figure3.png

Prints the labelled count of the round it took and the summary's description, which names every
misclassified image ("Coat taken for Pullover").
"""
import argparse
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TAG = "images/reconstructions"


def last_reconstructions(run_dir: str):
    """(step, PNG bytes, description) of the run's last `images/reconstructions` summary."""
    import tensorflow as tf
    found = None
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag == TAG and (found is None or event.step >= found[0]):
                    encoded = tf.make_ndarray(value.tensor)  # [width, height, PNG bytes...]
                    found = (event.step, encoded[2], value.metadata.summary_description)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a run directory with TensorBoard logs (logs/<run>)")
    parser.add_argument("--out", required=True, help="the PNG to write")
    args = parser.parse_args()
    found = last_reconstructions(args.run) if os.path.isdir(args.run) else None
    if found is None:
        raise SystemExit(f"--run={args.run}: no {TAG} summary there (is it a run of a learner with a VAE?)")
    from m2vaal_tf import atomic
    step, png, description = found
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    atomic.write_bytes(args.out, png)
    print(f"wrote {args.out}: the round at {step} labelled images. {description}")


if __name__ == "__main__":
    main()

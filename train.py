"""`python train.py --flagfile=configs/quickstart.cfg`: the same program as `m2vaal-train`
(m2vaal_tf/train.py), runnable from a checkout."""
from m2vaal_tf.train import run

if __name__ == "__main__":
    run()

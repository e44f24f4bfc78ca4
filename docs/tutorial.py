# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Label a folder of images with your own Keras model
#
# This tutorial is a script in jupytext's percent format: run it with `python docs/tutorial.py`, or
# open it as a notebook (`jupytext --to notebook docs/tutorial.py`). The test suite runs it
# (`tests/test_tutorial.py`), so every line here works.
#
# You have a folder of images, a few of them labelled, and a Keras classifier of your own. Each
# round, the loop trains your model on the labelled images, picks the images whose labels would help
# it most, and asks you for them. Here the images are real Fashion-MNIST images written as PNG
# files, and "you" are a lookup of their true class, so that the script can run unattended.

# %%
import os
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf
from keras import layers

import m2vaal_tf
from m2vaal_tf import data

WORK = os.environ.get("TUTORIAL_DIR") or tempfile.mkdtemp(prefix="m2vaal_tutorial-")
print("working in", WORK)

# %% [markdown]
# ## 1. A folder of images
#
# `folder:DIR` wants `DIR/labeled/<class>/` (the few images you labelled: the seed set),
# `DIR/unlabeled/` (the pool to label) and, optionally, `DIR/test/<class>/`. Images may have any
# size; they are resized to `image_size` square. We write three classes of Fashion-MNIST: 15
# labelled images per class, 240 unlabelled ones, and 30 test images per class.

# %%
CLASSES = {2: "Pullover", 7: "Sneaker", 8: "Bag"}
train_x, train_y, _, _ = data.read_idx_directory(data.locate_fashion_mnist())
folder = os.path.join(WORK, "my_images")
truth = {}  # what the person knows: unlabelled file -> class name
rows = {c: np.flatnonzero(train_y == c) for c in CLASSES}
for c, name in CLASSES.items():
    for part, chosen in (("labeled", rows[c][:15]), ("test", rows[c][15:45])):
        os.makedirs(os.path.join(folder, part, name), exist_ok=True)
        for i in chosen:
            tf.io.write_file(os.path.join(folder, part, name, f"{i}.png"), tf.io.encode_png(train_x[i]))
    os.makedirs(os.path.join(folder, "unlabeled"), exist_ok=True)
    for i in rows[c][45:125]:
        tf.io.write_file(os.path.join(folder, "unlabeled", f"{i}.png"), tf.io.encode_png(train_x[i]))
        truth[os.path.join("unlabeled", f"{i}.png")] = name
print(len(truth), "images to label")

# %% [markdown]
# ## 2. Your model
#
# Any function `(input_shape, num_classes) -> keras.Model` that takes raw pixels (0-255) and
# outputs logits. It is defined at the top level of a module so that a resumed run can import it
# again. Its penultimate activations (the input of the last Dense layer, or a layer you name with
# `model_features_layer=`) are what BADGE and coreset measure.


# %%
def small_cnn(input_shape, num_classes):
    images = keras.Input(shape=input_shape)
    x = layers.Rescaling(1 / 255)(images)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(images, layers.Dense(num_classes)(x), name="small_cnn")


# %% [markdown]
# ## 3. Two rounds of BADGE
#
# `open_loop` checks everything before it writes anything, then keeps the run under
# `logs/<run_name>/` as the command line does. `query()` trains the round's model, evaluates it and
# returns the batch to label; `teach()` records your labels (class indices, in any order).

# %%
LOGS = os.path.join(WORK, "logs")
loop = m2vaal_tf.open_loop(f"folder:{folder}", "badge", small_cnn, logdir=LOGS, run_name="badge",
                           budget=20, epochs=30, batch_size=16, projector_every=0)


def ask_the_person(query, class_names):
    """Here: the true class of each queried file. In your notebook: show query.images, type labels."""
    return [class_names.index(truth[source]) for source in query.sources]


for _ in range(2):
    loop.fit()                  # your model, from scratch, on the labelled images
    metrics = loop.evaluate()   # test and validation accuracy, the last losses
    query = loop.query()        # the batch, saved in pool.json before you see it
    print(f"round {query.round}: test accuracy {metrics['test_accuracy']:.3f}; asks for {len(query.indices)} "
          f"images, the model guesses {np.bincount(query.predicted, minlength=3)} per class")
    loop.teach(query.indices, ask_the_person(query, loop.dataset.class_names))
loop.close()
print("labelled now:", len(loop.labeled_indices))

# %% [markdown]
# The run is on disk: `pool.json` holds every label you gave, `results.csv` the round metrics, and
# TensorBoard reads the logs (`tensorboard --logdir logs`). `python train.py
# --flagfile=logs/badge/flags.txt --resume` would go on from the command line (with
# `--oracle=files`, writing the next batch to a labels.csv for you to fill in).
#
# ## 4. One round of M2-VAAL with the same model
#
# M2-VAAL trains your model together with a β-VAE and a discriminator, and asks for the images the
# discriminator is most sure are unlabelled. Your model is its task network; the VAE and the
# discriminator keep their own networks, sized to the image.

# %%
with m2vaal_tf.open_loop(f"folder:{folder}", "m2vaal", small_cnn, logdir=LOGS, run_name="m2vaal", budget=20,
                         epochs=4, batch_size=16, vae_epochs=2, projector_every=0) as m2:
    query = m2.query()
    print(f"M2-VAAL round {query.round} asks for", [os.path.basename(s) for s in query.sources[:5]], "...")
    m2.teach(query.indices, ask_the_person(query, m2.dataset.class_names))
print("done; the runs are in", LOGS, file=sys.stdout)

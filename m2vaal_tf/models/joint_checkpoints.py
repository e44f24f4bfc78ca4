"""Validation checkpoints of M2-VAAL's joint classifier (`--joint_checkpoints`, `--joint_keep_best`).

Official VAAL keeps its task model's best epoch on the validation set; the joint classifier of
M2-VAAL trains for thousands of iterations with the decoder's gradient, so whether it is best at
the end of the round or earlier is a measurement, not an assumption. A round is cut into evenly
spaced checkpoints; at each the classifier's validation accuracy is measured and the best weights
are copied into variables of the learner itself, so that a round resumed from its saved state
(`rounds/round_state.py`, which saves every variable of the learner) keeps the best it had found.
"""
import keras
import numpy as np


class BestWeights:
    """The best validation accuracy seen in a round, its iteration, and the classifier's weights then,
    as non-trainable variables of `learner` (create inside the distribution scope)."""

    def __init__(self, learner, network: keras.Model):
        self.network = network
        self.weights = [learner.add_weight(shape=w.shape, initializer="zeros", trainable=False, dtype=w.dtype,
                                           name=f"best_{i}") for i, w in enumerate(network.weights)]
        self.accuracy = learner.add_weight(shape=(), initializer=keras.initializers.Constant(-1.0),
                                           trainable=False, dtype="float32", name="best_validation_accuracy")
        self.iteration = learner.add_weight(shape=(), initializer="zeros", trainable=False, dtype="float32",
                                            name="best_iteration")

    def offer(self, accuracy: float, iteration: int) -> None:
        """Keeps the network's current weights if `accuracy` beats the best so far (ties: the earlier)."""
        if accuracy > float(self.accuracy.numpy()):
            for kept, current in zip(self.weights, self.network.weights):
                kept.assign(current)
            self.accuracy.assign(accuracy)
            self.iteration.assign(float(iteration))

    def restore(self) -> None:
        """Puts the best weights back into the network."""
        for kept, current in zip(self.weights, self.network.weights):
            current.assign(kept)


class ValidationCheckpoints(keras.callbacks.Callback):
    """Measures the validation accuracy `count` times a round (and at its last iteration) and offers
    it to `best`. The iteration is read from the optimizer, so a resumed round counts on."""

    def __init__(self, learner, best: BestWeights, images: np.ndarray, labels: np.ndarray, count: int,
                 iterations: int, steps_per_iteration: int):
        super().__init__()
        self.learner, self.best, self.images, self.labels = learner, best, images, labels
        self.every, self.total, self.steps = max(1, iterations // count), iterations, steps_per_iteration
        self.last_accuracy = float("nan")

    def on_train_batch_end(self, batch, logs=None):
        done = int(self.learner.optimizer.iterations.numpy()) // self.steps
        if done % self.every == 0 or done == self.total:
            predicted = self.learner.predict_proba(self.images).argmax(axis=1)
            self.last_accuracy = float(np.mean(predicted == self.labels))
            self.best.offer(self.last_accuracy, done)

"""A classifier's round: --epochs passes of --batch_size over the labelled set, with its recipe's
callbacks (`Classifier.round_callbacks`: official VAAL's schedule and best epoch, TA-VAAL's ranker
detached). Every strategy's classifier trains this way, so that a round's model differs between
strategies only by the labels they bought."""
from m2vaal_tf import distribute
from m2vaal_tf.rounds import streams


def train(learner, data, settings, seed: int, progress_bars: bool = False) -> dict:
    """{loss: [value per epoch]}."""
    dataset = streams.labeled_dataset(data.labeled_images, data.labels, settings.batch_size, seed)
    return distribute.fit(learner, dataset, settings.epochs, verbose=1 if progress_bars else 0,
                          callbacks=learner.round_callbacks(data, settings))

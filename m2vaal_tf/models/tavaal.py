"""TA-VAAL (Kim et al. 2020): VAAL made task-aware by a loss-prediction module (ranker).

After cubeyoung/TA-VAAL (`models/query_models.py`, `selection_methods.py`): the task learner
carries the ranker of Yoo & Kweon (2019), trained with the pairwise ranking loss (weight 1) next to
the cross-entropy; its score r joins the latent code, as sigmoid(r) for the decoder and raw r for
D; one VAE and one D step per iteration. In the first round the ranker has not been trained on
anything yet, so r is drawn from U(0, 1) there, as in the reference code.
"""
import keras
import tensorflow as tf

from m2vaal_tf.models import losses, networks
from m2vaal_tf.models.base import register
from m2vaal_tf.models.vaal import TaskLearnerBeside


@register
class TAVAAL(TaskLearnerBeside):
    family = "tavaal"

    def __init__(self, *args, random_ranker=False, ranking_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.random_ranker = random_ranker
        self.ranking_weight = ranking_weight

    @classmethod
    def side_dim(cls, num_classes):
        return 1

    @classmethod
    def task_network(cls, classifier, size):
        return networks.build_loss_predictor(classifier, size)

    @classmethod
    def arguments_from_config(cls, config, image_shape, num_classes, round_index):
        """The ranker has learnt nothing before round 0's training: r is random there."""
        return dict(super().arguments_from_config(config, image_shape, num_classes, round_index),
                    random_ranker=round_index == 0)

    def class_logits(self, images, training):
        return self.classifier(images, training=training)[0]

    def side_information(self, images, training):
        if self.random_ranker:
            return keras.random.uniform((tf.shape(images)[0], 1), seed=self.seed_generator)
        return tf.stop_gradient(self.classifier(images, training=training)[1])

    def _decoder_code(self, z, side):
        return tf.concat([z, tf.sigmoid(side)], axis=1)

    def task_losses(self, images, labels):
        logits, predicted_loss = self.classifier(images, training=True)
        cross_entropy = losses.cross_entropy(labels, logits)
        return {"task": cross_entropy,
                "ranking": self.ranking_weight * losses.pairwise_ranking(predicted_loss, cross_entropy)}

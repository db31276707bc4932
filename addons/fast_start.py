"""DIET loads without running a training step: start-up to first answer in seconds.

Rasa 3.6's ``RasaModel.load`` creates a model's variables by fitting it on one example
(``model.fit`` with a fresh Adam optimizer), then overwrites them with the trained weights, then
traces the prediction function on one example. The fit traces a whole ``tf.function`` training
step (the loss, its gradients and the optimizer update) and both traces rewrite Rasa's source
through autograph. Profiled from process start to first answer, that was the largest single
cost of ``rasa run``'s start-up (BENCHMARKS.md, "Start-up"), and a server that only predicts
needs none of the training step.

Here, for the DIETClassifier's model (class ``DIET``) loaded for prediction:

* the same variables are created by one eager pass of the same loss over the same example
  (``batch_loss``, the forward half of the training step: no gradients, no optimizer update,
  nothing traced). The optimizer is compiled as before; only its slot variables, which
  prediction never reads, are not created, so their values in the checkpoint are left unread;
* the trained weights are loaded by Rasa's own call;
* the prediction function is the one ``_rasa_predict`` makes (``predict_step`` with the input
  signature of the first batch), traced without autograph. The prediction code branches only
  on configuration, never on a tensor's value; if it did, tracing without autograph would fail
  at load time (a tensor used as a Python bool in a graph raises), not mispredict.

A model loaded for fine-tuning, a model of another class (the ResponseSelector's, TED) or a
load without a prediction example goes through Rasa's code unchanged.

The loaded model predicts exactly what Rasa's loaded model predicts: tests/patches/
test_fast_start.py loads the real model both ways and compares the weights (bit for bit) and
the parses of the eval set and the NLU examples (intents, rankings, confidences, entities).

``install()`` is idempotent and called by ``addons.install`` (named in ``config.yml``) when the
model's first component is created, before the DIETClassifier is loaded.
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Text

logger = logging.getLogger(__name__)

_installed = False


def install() -> None:
    """Replaces ``RasaModel.load`` in this process (once)."""
    global _installed
    if not _installed:
        _load_diet_without_a_training_step()
        _installed = True


def _load_diet_without_a_training_step() -> None:
    import tensorflow as tf
    from rasa.nlu.classifiers.diet_classifier import DIET
    from rasa.utils import train_utils
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
    from rasa.utils.tensorflow.model_data import RasaModelData
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(
        cls: Any,
        model_file_name: Text,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None or cls is not DIET:
            return original(cls, model_file_name, model_data_example, predict_data_example,
                            finetune_mode, *args, **kwargs)
        logger.debug(f"Loading the model from {model_file_name} for prediction only...")
        model = cls(*args, **kwargs)
        learning_rate = kwargs.get("config", {}).get(LEARNING_RATE, 0.001)
        run_eagerly = kwargs.get("config", {}).get(RUN_EAGERLY)
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=run_eagerly)

        # What Rasa's one-example fit does first: run the loss on the example, which creates
        # every layer's variables; here eagerly and without the backward pass.
        batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1, shuffle=False)[0]
        model._training = True
        try:
            model.batch_loss(batch_in)
        finally:
            model._training = None

        # From here on, Rasa's own steps. The checkpoint also holds the optimizer's slots, which
        # were never created here and prediction never reads: reading them is not expected
        # (else TensorFlow warns about each one when the status is dropped).
        model.load_weights(model_file_name).expect_partial()
        # The prediction function as ``_rasa_predict`` makes it on the first batch, without
        # autograph (see the module's docstring); ``run_inference`` then traces it.
        generator, _ = train_utils.create_data_generators(
            model_data=predict_data_example, batch_sizes=1, epochs=1, shuffle=False)
        batch, _ = generator[0]
        model._tf_predict_step = tf.function(
            model.predict_step, input_signature=model._dynamic_signature(batch), autograph=False)
        model.run_inference(predict_data_example)
        logger.debug("Finished loading the model.")
        return model

    load.__wrapped__ = original  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)  # type: ignore[assignment]

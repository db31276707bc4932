"""DIET loads without running a training step: start-up to first answer in seconds.

Rasa 3.6's ``RasaModel.load`` creates a model's variables by fitting it on one example
(``model.fit`` with a fresh Adam optimizer), then overwrites them with the trained weights. That
fit traces a whole ``tf.function`` training step: the loss, its gradients and the optimizer
update, all through autograph. Profiled from process start to first answer, the tracing was the
largest single cost of ``rasa run``'s start-up (BENCHMARKS.md, "Start-up"), and none of it is
used by a server that only predicts.

Here, for a DIET model (the DIETClassifier and the ResponseSelector's model) loaded for
prediction, the same variables are created by one eager pass of the same loss over the same
example (``batch_loss``, the forward half of the training step: no gradients, no optimizer step,
nothing traced), and then Rasa's own code runs on: the trained weights are loaded and the
prediction function is traced on the prediction example. The optimizer is compiled as before;
only its slot variables, which prediction never reads, are not created. A model loaded for
fine-tuning, a model of another class, or a load without a prediction example goes through
Rasa's code unchanged.

The loaded model predicts exactly what Rasa's loaded model predicts: the same weights, bit for
bit, and the same prediction graph (tests/patches/test_fast_start.py compares both on the real
model).

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
        if finetune_mode or predict_data_example is None or not issubclass(cls, DIET):
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
        model.run_inference(predict_data_example)
        logger.debug("Finished loading the model.")
        return model

    load.__wrapped__ = original  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)  # type: ignore[assignment]

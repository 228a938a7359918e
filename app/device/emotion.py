"""Sipeed's face-emotion classifier on the NPU, per tracked face (the device only).

Where the system ships the model (`/root/models/face_emotion.mud`: an image classifier
of 7 classes, angry, disgust, fear, happy, sad, surprise, neutral), each tracked face is
classified as MaixPy's `examples/vision/ai_vision/nn_face_emotion.py` does it: the face
cut out and levelled by `nn.FaceLandmarks("").crop_image` (box, eye points, the
classifier's input size, crop scale 0.9), turned grey, `classify(..., softmax=True)`, the
best class and its score. The box is the face's mesh box and the eye points its two iris
centres (the image-left eye first, as the detector's keypoints), in place of the example's
YOLO face box and keypoints. The label is kept by name (the model's own label order is
not assumed): a label that is not one of tables.EXPRESSION_NAMES is not reported.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
from maix import image, nn

from ..core.emotion import Emotion
from ..core.expressions.tables import EXPRESSION_ID
from ..core.face.faces import Face

EMOTION_MODEL = "/root/models/face_emotion.mud"
CROP_SCALE = 0.9             # as nn_face_emotion.py
IRIS_CENTRES = [468, 473]    # image-left eye first for a face seen from the front


class MaixEmotionClassifier:
    """`(frame, face) -> Emotion | None` with an nn.Classifier and the real crop_image."""

    def __init__(self, classifier: Any, cropper: Any, crop_scale: float = CROP_SCALE) -> None:
        self.classifier = classifier   # a loaded nn.Classifier
        self.cropper = cropper         # nn.FaceLandmarks(model=""): only its crop_image
        self.crop_scale = crop_scale
        self.size = (int(classifier.input_width()), int(classifier.input_height()))
        self.labels = [str(label) for label in classifier.labels]

    @classmethod
    def load(cls, path: str = EMOTION_MODEL,
             log: Callable[[str], None] | None = None) -> "MaixEmotionClassifier | None":
        """The classifier, or None where the system has no such model (a PC, an older
        image), said through `log` when given."""
        if not os.path.isfile(path):
            return None
        try:
            classifier = nn.Classifier(model=path, dual_buff=False)
            cropper = nn.FaceLandmarks(model="")
        except Exception as error:  # maix raises RuntimeError on a model it cannot load
            if log is not None:
                log(f"warning: emotion off: cannot load {path} ({error})")
            return None
        return cls(classifier, cropper)

    def crop_args(self, face: Face) -> tuple[int, int, int, int, list[int]]:
        """crop_image's box and eye points (ints, as it takes them) for `face`."""
        x, y, w, h = (int(v) for v in face.mesh_box)
        eyes = np.asarray(face.xy[IRIS_CENTRES], np.float64).reshape(-1)
        return x, y, w, h, [int(v) for v in eyes]

    def __call__(self, frame: image.Image, face: Face) -> Emotion | None:
        x, y, w, h, eyes = self.crop_args(face)
        if w <= 0 or h <= 0:
            return None
        crop = self.cropper.crop_image(frame, x, y, w, h, eyes, self.size[0], self.size[1],
                                       self.crop_scale)
        if crop is None:
            return None
        grey = crop.to_format(image.Format.FMT_GRAYSCALE)
        ranked = self.classifier.classify(grey, softmax=True)
        if not ranked:
            return None
        index, score = ranked[0]
        label = self.labels[int(index)] if 0 <= int(index) < len(self.labels) else ""
        if label not in EXPRESSION_ID:
            return None
        return Emotion(label, float(score))

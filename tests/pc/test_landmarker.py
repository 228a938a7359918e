"""The PC landmarker: which model says whether a crop is a face, on real video frames."""
from __future__ import annotations

import pytest

from app.core.geometry import crop_transform
from app.core.settings import Settings
from app.pc.landmarker import SURE_LOGIT, AttentionLandmarker
from conftest import load_video


class Counting(AttentionLandmarker):
    """Records the attention model's own face logit and whether the second model ran."""

    def __init__(self, models_dir) -> None:
        settings = Settings()
        super().__init__(models_dir, crop_scale=settings.pc_crop_scale, threads=settings.pc_threads)
        self.logits: list[float] = []
        self.asked = 0
        mesh = self.model.mesh

        def mesh_logit(xyz):
            logit = mesh(xyz)
            self.logits.append(logit)
            return logit

        self.model.mesh = mesh_logit  # type: ignore[method-assign]

    def presence_logit(self) -> float:
        self.asked += 1
        return super().presence_logit()


@pytest.fixture(scope="module")
def landmarker(models_dir):
    return Counting(models_dir)


def test_a_cartoon_blob_the_attention_model_takes_for_a_face_is_refused(
        pc_tracker, landmarker):
    """no_face.mp4 frame 89: the detectors propose a pink blob; the attention model's flag
    says face (logit ~7), the 468-point model's flag says not (logit ~ -9)."""
    pipeline = pc_tracker().pipeline
    rgb = load_video("no_face.mp4")[89]
    detections = pipeline.detect(rgb)
    assert detections, "the detectors no longer propose the blob: pick another frame"
    landmarker.asked, landmarker.logits = 0, []
    scores = [landmarker.infer(rgb, pipeline.request_for(d)).score for d in detections]
    assert max(landmarker.logits) > 5.0  # the attention flag alone would pass one (p > 0.99)
    assert max(landmarker.logits) < SURE_LOGIT and landmarker.asked == len(detections)
    assert max(scores) < pipeline.landmark_threshold  # refused as a face


def test_real_faces_need_no_second_opinion(pc_tracker, landmarker):
    pipeline = pc_tracker().pipeline
    landmarker.asked, landmarker.logits = 0, []
    for rgb in load_video("single_face.mp4")[::6]:
        detection = pipeline.detect(rgb)[0]
        out = landmarker.infer(rgb, pipeline.request_for(detection))
        assert out.score > 0.99
        assert out.transform.size == crop_transform(pipeline.request_for(detection)).size
    assert landmarker.asked == 0 and min(landmarker.logits) > SURE_LOGIT

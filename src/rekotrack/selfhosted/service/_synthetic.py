"""The synthetic analyzer of ``rekotrack serve --analyzer synthetic``: the scene the synthetic server
invents for a video's URI, written as a worker's result (the store, workers and persistence without the
video packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rekotrack.selfhosted.service._jobs import JobSpec, WorkResult
from rekotrack.selfhosted.service._store import write_result

__all__ = ["run_synthetic"]


def run_synthetic(spec: JobSpec, out_dir: Path) -> WorkResult:
    """Write the result the synthetic server answers for ``spec`` (its URI decides the scene) to ``out_dir``."""
    from rekotrack._synthetic._jobs import SyntheticJob
    from rekotrack._synthetic._scene import SyntheticScene

    scene = SyntheticScene.for_uri(spec.source.uri)
    if scene.final_status != "SUCCEEDED":
        return WorkResult.failed(scene.status_message or "Failed.")
    if spec.operation == "PersonTracking":
        items = list(scene.detections("TIMESTAMP"))
        write_result(out_dir, scene.video_metadata(), items)
        return WorkResult(status="SUCCEEDED", items=len(items))
    if spec.operation == "FaceDetection":
        job = SyntheticJob("FaceDetection", {"Video": spec.video, "FaceAttributes": spec.face_attributes},
                           scene=scene)
        items = job.items()
        write_result(out_dir, job.video_metadata(), items)
    else:  # segments and text: the page members in the metadata slot (_outcomes)
        params: dict[str, Any] = {"Video": spec.video, "Filters": spec.filters}
        if spec.operation == "SegmentDetection":
            params["SegmentTypes"] = list(spec.segment_types)
        job = SyntheticJob(spec.operation, params, scene=scene)
        items = job.items()
        write_result(out_dir, job.page_fields(), items)
    return WorkResult(status="SUCCEEDED", items=len(items))

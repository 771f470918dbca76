"""to_dataframe() has the CSV columns and values, with pandas dtypes."""

from __future__ import annotations

import io
import sys

import pytest
from results_support import hand_built, odd_shapes, scene_detections

from rekotrack._results import CSV_COLUMNS, TrackingResult


def test_dataframe_matches_csv() -> None:
    pd = pytest.importorskip("pandas")
    items, metadata = scene_detections()
    result = TrackingResult.from_detections(items + hand_built() + odd_shapes(), video_metadata=metadata)
    frame = result.to_dataframe()
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert len(frame) == len(result)
    assert str(frame["timestamp_ms"].dtype) == "Int64"
    assert str(frame["person_index"].dtype) == "Int64"
    assert frame["has_face"].dtype == bool
    assert all(frame[name].dtype == "float64" for name in CSV_COLUMNS[2:6] + CSV_COLUMNS[7:])
    buffer = io.StringIO()
    result.to_csv(buffer)
    buffer.seek(0)
    from_csv = pd.read_csv(buffer, dtype={"timestamp_ms": "object", "person_index": "object"})
    for row in range(len(result)):
        for name in CSV_COLUMNS:
            ours, theirs = frame.at[row, name], from_csv.at[row, name]
            if name in ("timestamp_ms", "person_index"):
                if pd.isna(ours):
                    # absent, or an integer beyond 64 bits that the CSV keeps and Int64 cannot
                    assert pd.isna(theirs) or abs(int(theirs)) >= 2**63
                else:
                    assert int(theirs) == ours
            elif name == "has_face":
                assert bool(ours) == bool(theirs)
            else:
                assert (pd.isna(ours) and pd.isna(theirs)) or ours == theirs, (row, name)


def test_dataframe_marks_absent_values() -> None:
    pytest.importorskip("pandas")
    frame = TrackingResult.from_detections(hand_built()).to_dataframe()
    assert frame["person_index"].isna().sum() == 1
    assert frame["timestamp_ms"].isna().sum() == 1
    assert frame["has_face"].sum() == 2
    person_zero = frame.loc[frame["person_index"] == 0, "timestamp_ms"]
    assert person_zero.fillna(-1).tolist() == [0, 200, 400, -1, 2000, 2200]
    assert frame["box_left"].isna().sum() == 1  # the face-only detection


def test_missing_pandas_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"rekotrack\[pandas\]"):
        TrackingResult().to_dataframe()

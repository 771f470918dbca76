"""The base of every rekotrack model, and the conveniences the service model cannot know.

The models themselves are generated from botocore's service model into
:mod:`rekotrack._generated.models` (``scripts/generate_models.py``); they build
on :class:`AWSModel` and :data:`AWSList` here, and a few of them mix in a class
below for helpers written by hand (``Video.from_s3``, ``Video.uri``,
``BoundingBox.center``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, WrapSerializer
from pydantic.alias_generators import to_pascal

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AWSList", "AWSModel", "BoundingBoxConveniences", "VideoConveniences"]

T = TypeVar("T")


def _as_list(value: tuple[Any, ...], handler: SerializerFunctionWrapHandler) -> list[Any]:
    return list(handler(value))


# Lists are stored as tuples (the models are immutable) and dumped as lists,
# so ``to_aws()`` equals the boto3 dict.
AWSList = Annotated[tuple[T, ...], WrapSerializer(_as_list)]


class AWSModel(BaseModel):
    """Base of every rekotrack model: frozen, aliased, forward compatible."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        use_attribute_docstrings=True,
        protected_namespaces=(),
    )

    def to_aws(self) -> dict[str, Any]:
        """The AWS-shaped dict (PascalCase keys, unknown fields included, unset fields omitted)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


class _S3ObjectFields(Protocol):
    @property
    def bucket(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...


class VideoConveniences:
    """``Video.from_s3`` and ``Video.uri``."""

    if TYPE_CHECKING:

        @property
        def s3_object(self) -> _S3ObjectFields | None: ...

    @classmethod
    def from_s3(cls, bucket: str, name: str, version: str | None = None) -> Self:
        """Build a Video from its bucket, key and optional version (left out of ``to_aws()`` when None)."""
        s3_object: dict[str, str] = {"Bucket": bucket, "Name": name}
        if version is not None:
            s3_object["Version"] = version
        model = cast("type[AWSModel]", cls)
        return cast("Self", model.model_validate({"S3Object": s3_object}))

    @property
    def uri(self) -> str | None:
        """``s3://bucket/key`` (with ``?versionId=`` when set), or None without an S3 object."""
        obj = self.s3_object
        if obj is None or obj.bucket is None or obj.name is None:
            return None
        suffix = f"?versionId={obj.version}" if obj.version else ""
        return f"s3://{obj.bucket}/{obj.name}{suffix}"


class BoundingBoxConveniences:
    """``BoundingBox.center``."""

    if TYPE_CHECKING:

        @property
        def width(self) -> float | None: ...
        @property
        def height(self) -> float | None: ...
        @property
        def left(self) -> float | None: ...
        @property
        def top(self) -> float | None: ...

    @property
    def center(self) -> tuple[float, float] | None:
        """Centre ``(x, y)`` in frame ratios, or None when a coordinate is absent."""
        if self.left is None or self.top is None or self.width is None or self.height is None:
            return None
        return (self.left + self.width / 2, self.top + self.height / 2)

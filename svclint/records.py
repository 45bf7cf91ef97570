"""Small immutable records that are made and pickled by the thousand: summaries and findings go
to the report cache and come back from worker processes."""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar, cast, dataclass_transform

RecordType = TypeVar("RecordType", bound=type)


def record(cls: RecordType) -> RecordType:
    """Pickle a slots dataclass as the arguments of its constructor. The default for slots
    classes calls a Python function per object that lists the fields anew each time: three
    times slower, and a cold run pickles every summary twice."""
    names = [field.name for field in dataclasses.fields(cls)]
    getter = operator.attrgetter(*names)

    def reduce(self: Any) -> tuple[Any, ...]:
        values = getter(self)
        return (cls, values if len(names) > 1 else (values,))

    cls.__reduce__ = reduce  # type: ignore[assignment]
    return cls


@dataclass_transform(eq_default=True, frozen_default=True)
def frozen_record(cls: RecordType) -> RecordType:
    """A value record: a slots dataclass, compared and hashed by its fields, pickled as
    :func:`record`. Frozen for the type checker only: a frozen dataclass's ``__init__`` sets
    each field through ``object.__setattr__``, four times slower than a plain one, and
    summaries make millions of these (spans above all). mypy rejects any assignment to a field."""
    made = cast(RecordType, dataclasses.dataclass(slots=True, unsafe_hash=True)(cls))
    return record(made)

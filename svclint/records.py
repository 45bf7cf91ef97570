"""Small immutable records that are pickled by the thousand: summaries and findings go to the
report cache and come back from worker processes."""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

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

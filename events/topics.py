"""Every event type by its stored topic, and a stored event's state brought up to its class's version."""

from __future__ import annotations

from typing import Any

from events.bbv import LinesClassified, OrganisationDescribed
from events.models import (
    ChartExtended,
    DocumentAdopted,
    DocumentRecorded,
    DocumentWithdrawn,
    Event,
    HorizonExtended,
    KeySet,
    LedgerOpened,
    RulesInForce,
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.TOPIC: cls
    for cls in (
        LedgerOpened,
        ChartExtended,
        HorizonExtended,
        KeySet,
        DocumentRecorded,
        DocumentAdopted,
        DocumentWithdrawn,
        RulesInForce,
        OrganisationDescribed,
        LinesClassified,
    )
}


def current_state(topic: str, data: dict[str, Any]) -> dict[str, Any]:
    """A stored event's state (its decoded JSON) brought up to its class's version by the
    ``upcast_vN_vN+1`` methods; ``class_version`` is taken out."""
    cls = EVENT_TYPES[topic]
    if not isinstance(data, dict):
        raise ValueError(f"{topic} state is not a JSON object")
    version = data.pop("class_version", 1)
    if type(version) is not int or not 1 <= version <= cls.class_version:
        raise ValueError(f"{topic} has class_version {str(version)[:20]!r}; "
                         f"this program knows 1 to {cls.class_version}")
    while version < cls.class_version:
        data = getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return data

"""Where each metric's attribution lands in the `vitals` table's generic attr_* columns.

Workers write these columns and the query service reads them by this table:

| metric | attr_target        | attr_url         | attr_kind       |
|--------|--------------------|------------------|-----------------|
| LCP    | target             | url              |                 |
| INP    | interactionTarget  | longestScriptUrl | interactionType |
| CLS    | largestShiftTarget |                  | loadState       |
| FCP    |                    |                  | loadState       |
| TTFB   |                    |                  |                 |

| metric | attr_phase1       | attr_phase2        | attr_phase3          | attr_phase4        |
|--------|-------------------|--------------------|----------------------|--------------------|
| LCP    | timeToFirstByte   | resourceLoadDelay  | resourceLoadDuration | elementRenderDelay |
| INP    | inputDelay        | processingDuration | presentationDelay    |                    |
| CLS    | largestShiftValue | largestShiftTime   |                      |                    |
| FCP    | timeToFirstByte   | firstByteToFCP     |                      |                    |
| TTFB   | dnsDuration       | connectionDuration | requestDuration      | waitingDuration    |

Phases are in ms except CLS's phase1 (a layout-shift score). Empty text is '' and a
missing phase is NULL. TTFB's cacheDuration and INP's loadState are accepted on the wire
but not stored: four phases are what the table holds, and these are the least asked for.
"""

from __future__ import annotations

import msgspec

from services.contracts.metrics import Metric
from services.contracts.wire import Attribution


class AttributionColumns(msgspec.Struct, frozen=True):
    """Attribution field names (snake_case, as on `wire.Attribution`) per attr_* column."""

    target: str | None = None
    url: str | None = None
    kind: str | None = None
    phases: tuple[str, ...] = ()


COLUMNS: dict[Metric, AttributionColumns] = {
    Metric.LCP: AttributionColumns(
        target="target",
        url="url",
        phases=(
            "time_to_first_byte", "resource_load_delay", "resource_load_duration",
            "element_render_delay",
        ),
    ),
    Metric.INP: AttributionColumns(
        target="interaction_target",
        url="longest_script_url",
        kind="interaction_type",
        phases=("input_delay", "processing_duration", "presentation_delay"),
    ),
    Metric.CLS: AttributionColumns(
        target="largest_shift_target",
        kind="load_state",
        phases=("largest_shift_value", "largest_shift_time"),
    ),
    Metric.FCP: AttributionColumns(
        kind="load_state", phases=("time_to_first_byte", "first_byte_to_fcp")
    ),
    Metric.TTFB: AttributionColumns(
        phases=("dns_duration", "connection_duration", "request_duration", "waiting_duration")
    ),
}  # fmt: skip


class Flattened(msgspec.Struct, frozen=True, gc=False):
    target: str = ""
    url: str = ""
    kind: str = ""
    phases: tuple[float | None, float | None, float | None, float | None] = (
        None, None, None, None,
    )  # fmt: skip


EMPTY = Flattened()


def flatten(metric: Metric, attribution: Attribution | None) -> Flattened:
    if attribution is None:
        return EMPTY
    columns = COLUMNS[metric]
    phases = [getattr(attribution, name) for name in columns.phases]
    phases += [None] * (4 - len(phases))
    return Flattened(
        target=_text(attribution, columns.target),
        url=_text(attribution, columns.url),
        kind=_text(attribution, columns.kind),
        phases=(phases[0], phases[1], phases[2], phases[3]),
    )


def _text(attribution: Attribution, name: str | None) -> str:
    if name is None:
        return ""
    value = getattr(attribution, name)
    return "" if value is None else str(value)

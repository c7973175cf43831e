"""The report's sections, one module each, in report order. Each module has ``ID``, a ``build(results)``
returning its :class:`~placecast.report.model.Section` (or None when it has nothing to show) and,
optionally, ``warnings(results)``. Adding a section is adding a module to :data:`SECTIONS`."""

from placecast.report.sections import (
    appendix,
    beds,
    benchmark,
    children,
    costs,
    indicators,
    model_card,
    outturn,
    programme,
    quality,
)

SECTIONS = (outturn, children, costs, beds, programme, indicators, benchmark, quality, appendix, model_card)

__all__ = ["SECTIONS"]

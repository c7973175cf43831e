"""The report configuration lives with the quarter pipeline (:mod:`placecast.quarter.config`); these
names are kept here for callers of the report package."""

from placecast.quarter.config import (
    Benchmarking,
    CommentaryFile,
    ReportConfig,
    ReportConfigError,
    parse_quarter,
    read_commentary,
    read_config,
)

__all__ = ["Benchmarking", "CommentaryFile", "ReportConfig", "ReportConfigError", "parse_quarter",
           "read_commentary", "read_config"]

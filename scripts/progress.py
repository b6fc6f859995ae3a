"""Progress bars on stderr for the long steps of the CLI (generate, bench): what step, how far, ETA.

Shown when asked (--progress) or, by default, when stderr is a terminal; otherwise every call is a no-op, so
tests and CI logs keep only the commands' one-line summaries. tqdm is imported only when a bar is shown."""
from __future__ import annotations

import sys
from typing import Any


def enabled(requested: bool | None) -> bool:
    """--progress / --no-progress win; unset means: only on a terminal."""
    return sys.stderr.isatty() if requested is None else requested


class _NoBar:
    """What a disabled bar is: accepts the calls, prints nothing."""
    total = 0
    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def bar(show: bool, description: str, total: int | None = None, unit: str = "rows") -> Any:
    """A progress bar (tqdm) on stderr, or a silent stand-in when not shown."""
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, unit_scale=unit == "rows", file=sys.stderr, dynamic_ncols=True,
                mininterval=0.5, leave=True)

"""Widgets whose values live in the page's URL, so a link reproduces the experiment exactly.

    c = Controls("act")                                  # one per page; keys become "act.lr"
    lr = c.select_slider("lr", "Learning rate", LRS, default=0.01)
    ...
    c.publish()                                          # write ?lr=0.01&... into the address bar

The URL parameter is the short name (``lr``); the widget key is page-prefixed so pages never
share state. A value in the URL that cannot be parsed or is not allowed is ignored with a
visible note, and the default is used. Values survive a trip to another page and back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(_encode(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shown(raw: str, limit: int = 40) -> str:
    """A link value as it may appear in a notice: short, and unable to break out of a code span."""
    text = str(raw).replace("`", "'")
    return text if len(text) <= limit else text[:limit] + "…"


def from_link(name: str, raw: str, parse: Callable[[str], Any], allowed: Callable[[Any], bool] = lambda v: True) -> Any:
    """The link's ``name=raw`` parsed, or None with a notice that the value was ignored."""
    try:
        value = parse(raw)
        if not allowed(value):
            raise ValueError(raw)
        return value
    except (ValueError, OverflowError):
        st.toast(f"Ignored `{name}={_shown(raw)}` from the link: not an allowed value.")
        return None


def parse_like(default: Any, raw: str) -> Any:
    """Parse ``raw`` into the type of ``default`` (ValueError if it cannot)."""
    if isinstance(default, bool):
        if raw not in ("0", "1", "true", "false"):
            raise ValueError(raw)
        return raw in ("1", "true")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


class Controls:
    """The widgets of one page, bound to URL query parameters."""

    def __init__(self, page: str):
        self.page = page
        self.names: list[str] = []
        self._captioned = False  # the "link reproduces this" caption is shown once per page

    def key(self, name: str) -> str:
        return f"{self.page}.{name}"

    def _seed(self, name: str, default: Any, allowed: Callable[[Any], bool], parse: Callable[[str], Any]) -> None:
        """Give the widget its first value: the URL's, else the last one this session used,
        else the default."""
        key, keep = self.key(name), f"_keep.{self.page}.{name}"
        self.names.append(name)
        if key in st.session_state:
            return
        value = st.session_state.get(keep, default)
        raw = st.query_params.get(name)
        if raw is not None:
            parsed = from_link(name, raw, parse, allowed)
            value = value if parsed is None else parsed
        st.session_state[key] = value

    def _kept(self, name: str) -> Any:
        value = st.session_state[self.key(name)]
        st.session_state[f"_keep.{self.page}.{name}"] = value
        return value

    # ------------------------------------------------------------------ widgets
    def slider(self, name: str, label: str, low: float, high: float, default: float, step: float, **kw) -> Any:
        self._seed(name, default, lambda v: low <= v <= high, lambda raw: parse_like(default, raw))
        st.slider(label, low, high, step=step, key=self.key(name), **kw)
        return self._kept(name)

    def select_slider(self, name: str, label: str, options: Sequence, default: Any, **kw) -> Any:
        self._seed(name, default, lambda v: v in options, lambda raw: parse_like(default, raw))
        st.select_slider(label, options=list(options), key=self.key(name), **kw)
        return self._kept(name)

    def select(self, name: str, label: str, options: Sequence, default: Any, **kw) -> Any:
        self._seed(name, default, lambda v: v in options, lambda raw: parse_like(default, raw))
        st.selectbox(label, options=list(options), key=self.key(name), **kw)
        return self._kept(name)

    def multiselect(self, name: str, label: str, options: Sequence[str], default: Sequence[str], **kw) -> list:
        self._seed(
            name,
            list(default),
            lambda v: all(x in options for x in v),
            lambda raw: [x for x in raw.split(",") if x],
        )
        st.multiselect(label, options=list(options), key=self.key(name), **kw)
        return list(self._kept(name))

    def toggle(self, name: str, label: str, default: bool, **kw) -> bool:
        self._seed(name, default, lambda v: isinstance(v, bool), lambda raw: parse_like(default, raw))
        st.toggle(label, key=self.key(name), **kw)
        return bool(self._kept(name))

    def number(self, name: str, label: str, low: int, high: int, default: int, **kw) -> int:
        self._seed(name, default, lambda v: low <= v <= high, lambda raw: parse_like(default, raw))
        st.number_input(label, min_value=low, max_value=high, step=1, key=self.key(name), **kw)
        return int(self._kept(name))

    def publish(self, caption: bool = True) -> None:
        """Write every control's current value into the URL (the link to share). A page may call
        it again after more controls; the caption saying so appears once."""
        for name in self.names:
            value = _encode(st.session_state[self.key(name)])
            if st.query_params.get(name) != value:
                st.query_params[name] = value
        if caption and not self._captioned:
            st.caption("🔗 The address bar now links to exactly this experiment: share it to reproduce it.")
            self._captioned = True


def checked(build: Callable[[], Any]) -> Any:
    """Build configs; a ``ValueError`` becomes a message on the page and the page stops."""
    try:
        return build()
    except ValueError as err:
        st.error(f"These settings can't run: {err}.")
        st.stop()

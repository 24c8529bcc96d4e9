"""Chapter 10's decoding: the course's one decoding module, :mod:`dlbook.decoding`, under the name
chapter 10 imports it by (``from dlbook.llm import decoding``). Nothing is defined here."""

from __future__ import annotations

from dlbook.decoding import *  # noqa: F401,F403
from dlbook.decoding import __all__  # noqa: F401

"""Aho-Corasick automata as full transition tables, for the native text kernels.

``moderation/features/_textscan.c`` (contact hint sets, over characters) and
``moderation/rules/_literals.c`` (rule phrase literals, over bytes) both step a DFA: one table
lookup per symbol, whatever state they are in. Needles come in already written as sequences of
symbols (0 is any symbol no needle holds); each carries the bits it reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["trie", "transitions"]


def trie(needles: Iterable[tuple[Sequence[int], int]]) -> tuple[list[dict[int, int]], list[int]]:
    """The needles' trie: the children of each state (root 0), and the bits of the needles ending there."""
    goto: list[dict[int, int]] = [{}]
    out = [0]
    for symbols, bits in needles:
        state = 0
        for symbol in symbols:
            child = goto[state].get(symbol)
            if child is None:
                goto.append({})
                out.append(0)
                child = goto[state][symbol] = len(goto) - 1
            state = child
        out[state] |= bits
    return goto, out


def transitions(goto: list[dict[int, int]], out: list[int], n_symbols: int) -> np.ndarray:
    """The DFA of a trie: table[state, symbol] is the next state (int64, states x n_symbols).

    ``out`` is completed in place along the failure links: a state then reports every needle
    ending there or at one of its suffixes, so overlapping needles all count.
    """
    table = np.zeros((len(goto), n_symbols), dtype=np.int64)
    fail = [0] * len(goto)
    queue = list(goto[0].values())
    for symbol, child in goto[0].items():
        table[0, symbol] = child
    for state in queue:  # breadth first: a state's failure target is complete before its children
        if state:
            out[state] |= out[fail[state]]
            table[state] = table[fail[state]]
        for symbol, child in goto[state].items():
            fail[child] = int(table[fail[state], symbol]) if state else 0
            table[state, symbol] = child
            queue.append(child)
    return table

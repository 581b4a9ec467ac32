"""The seller population: stable per seed, with private and pro sellers and rings of offenders."""

from __future__ import annotations

import numpy as np

from moderation.schema import VIOLATIONS
from moderation.synth.sellers import OFFENDER_SHARE, make_population


def test_population_is_deterministic_and_ids_are_unique():
    a, b = make_population(5, 5000), make_population(5, 5000)
    assert a.seller_id.equals(b.seller_id) and a.handle.equals(b.handle)
    assert a.seller_id.n_unique() == 5000
    assert a.seller_id.str.contains(r"^u\d{9}$").all()
    assert not make_population(6, 5000).seller_id.equals(a.seller_id)


def test_mix_of_private_and_professional_sellers_with_history():
    pop = make_population(1, 20_000)
    assert 0.1 < pop.is_pro.mean() < 0.2
    assert np.median(pop.base_listings[pop.is_pro]) > 5 * np.median(pop.base_listings[~pop.is_pro])
    assert (pop.age_days > 0).all()
    assert pop.phone10.str.contains(r"^9\d{9}$").all()


def test_offenders_are_few_young_and_already_blocked_before():
    pop = make_population(2, 20_000)
    off = pop.offense >= 0
    assert abs(off.mean() - OFFENDER_SHARE) < 0.01
    assert np.median(pop.age_days[off]) < np.median(pop.age_days[~off]) / 5
    assert pop.base_blocks[off].mean() > 5 * pop.base_blocks[~off].mean()
    assert {VIOLATIONS[c] for c in np.unique(pop.offense[off])} >= {"contacts_in_text", "duplicate"}


def test_rings_share_phone_handle_wording_and_offense():
    pop = make_population(3, 20_000)
    members = np.flatnonzero(pop.ring_leader != np.arange(pop.size))
    assert members.size > 20
    leaders = pop.ring_leader[members]
    assert (pop.offense[members] == pop.offense[leaders]).all()
    assert (pop.variant[members] == pop.variant[leaders]).all()
    assert pop.alt_phone10.gather(members).equals(pop.alt_phone10.gather(leaders))
    assert pop.handle.gather(members).equals(pop.handle.gather(leaders))
    assert (pop.ring_leader[leaders] == leaders).all()  # leaders lead, they are not members


def test_a_bigger_population_extends_a_smaller_one():
    small, big = make_population(4, 30_000), make_population(4, 70_000)
    for name in ("seller_id", "phone10", "alt_phone10", "handle"):
        assert getattr(small, name).equals(getattr(big, name)[:30_000]), name
    for name in ("offense", "ring_leader", "is_pro", "age_days", "city_idx"):
        assert (getattr(small, name) == getattr(big, name)[:30_000]).all(), name
    assert (small.ring_leader < small.size).all()
    assert big.seller_id.n_unique() == big.size

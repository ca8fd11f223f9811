"""The fleet engine: seeding, common random numbers, determinism across chunkings and backends."""

from __future__ import annotations

import numpy as np
import pytest

from smetslab.errors import InputError
from smetslab.fleet import run_in_memory
from smetslab.fleet.engine import plan_chunks
from smetslab.fleet.model import BLOCK_PREMISES, ModelParams, block_rng, draw_block, evaluate_block


def test_block_streams_are_seedsequence_spawn_keyed_by_replicate_and_block():
    # the documented seeding: SeedSequence(seed).spawn(...)[replicate].spawn(...)[block]
    seed, r, b = 1234, 2, 5
    child = np.random.SeedSequence(seed).spawn(3)[r].spawn(6)[b]
    expected = np.random.Generator(np.random.PCG64(child)).random(8)
    assert np.array_equal(block_rng(seed, r, b).random(8), expected)
    assert not np.array_equal(block_rng(seed, r, b + 1).random(8), expected)


def test_chunks_are_unions_of_whole_blocks():
    units = plan_chunks(5 * BLOCK_PREMISES + 1, 2, 4)
    assert units == [(0, (0, 1, 2, 3)), (0, (4, 5)), (1, (0, 1, 2, 3)), (1, (4, 5))]
    assert plan_chunks(5 * BLOCK_PREMISES + 1, 2, 4, done={(0, 1), (1, 4), (1, 5)}) == \
        [(0, (0, 2, 3)), (0, (4, 5)), (1, (0, 1, 2, 3))]


def test_draws_do_not_depend_on_options_common_random_numbers(small, make):
    # the same block, evaluated with a different option list, gives the same numbers per option
    p_all = ModelParams.from_scenario(small)
    p_two = ModelParams.from_scenario(make({"premises": small.premises, "replicates": 2, "seed": 11,
                                                     "options": ["baseline", "secmp0032"]}))
    a = evaluate_block(p_all, 1, 2)
    b = evaluate_block(p_two, 1, 2)
    assert a["baseline"] == b["baseline"] and a["secmp0032"] == b["secmp0032"]


def test_last_block_is_partial_and_memory_is_per_block(small):
    p = ModelParams.from_scenario(small)
    assert draw_block(p, 0, 0).n == BLOCK_PREMISES
    assert draw_block(p, 0, 3).n == 100
    with pytest.raises(ValueError):
        draw_block(p, 0, 4)


def test_deterministic_for_a_seed_and_different_for_another(small):
    a = run_in_memory(small, workers=1)
    assert a == run_in_memory(small, workers=1)
    other = run_in_memory(small.model_copy(update={"seed": 12}), workers=1)
    assert a[("baseline", 0, "wan_down_days")] != other[("baseline", 0, "wan_down_days")]
    # replicates are different draws
    assert a[("baseline", 0, "wan_down_days")] != a[("baseline", 1, "wan_down_days")]


def test_bit_identical_whatever_the_chunking(small):
    one = run_in_memory(small, workers=1, chunk_premises=BLOCK_PREMISES)
    three = run_in_memory(small, workers=1, chunk_premises=3 * BLOCK_PREMISES)
    assert one == three


def test_bit_identical_in_process_and_local_processes(small):
    assert run_in_memory(small, workers=1) == run_in_memory(small, workers=2, chunk_premises=BLOCK_PREMISES)


def test_bit_identical_on_a_two_worker_local_dask_cluster(small):
    pytest.importorskip("distributed")
    dask = run_in_memory(small, workers=2, scheduler="local", chunk_premises=BLOCK_PREMISES)
    assert dask == run_in_memory(small, workers=1)


def test_bad_run_arguments(small):
    with pytest.raises(InputError, match="multiple of 8192"):
        run_in_memory(small, chunk_premises=1000)
    with pytest.raises(InputError, match="workers 0"):
        run_in_memory(small, workers=0)


def test_every_metric_for_every_option_and_replicate(small):
    from smetslab.fleet import METRICS
    out = run_in_memory(small, workers=1)
    from smetslab.fleet.metrics import YEARLY_METRICS
    yearly = {f"{m}@y1" for m in YEARLY_METRICS}  # a one-year horizon: one per-year figure each
    assert set(out) == {(o, r, m) for o in small.options for r in range(2) for m in (*METRICS, *yearly)}
    for (_o, _r, m), v in out.items():
        assert np.isfinite(v) and v >= 0, m
        if m.startswith("cost_"):
            assert v == int(v)  # integer pence

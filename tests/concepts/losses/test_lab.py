"""Unit tests of dlcore.labs.losses: a line fit shared by a class (snapshots, a frozen finished run)."""

import pytest
import torch

from dlcore import TrainConfig
from dlcore.labs import losses as L


def fit(loss: str = "huber", steps: int = 40) -> L.LineFit:
    return L.LineFit(L.LineData(seed=3), loss, TrainConfig(optimizer="adam", lr=0.05, steps=steps, seed=3), delta=0.5)


@pytest.mark.parametrize("loss", L.REGRESSION_LOSSES)
def test_a_trainable_copy_of_a_snapshot_trains_on_to_exactly_the_uninterrupted_numbers(loss):
    whole = fit(loss).run()
    leader = fit(loss)
    leader.advance(17)
    snapshot = leader.snapshot()
    leader.advance(5)  # the leader trains on: the snapshot stays where it was taken
    assert snapshot.step == 17 and len(snapshot.rows()) == 18
    own = snapshot.trainable_copy().run()
    assert own.rows() == whole.rows() and own.line == whole.line
    assert snapshot.step == 17 and snapshot.line == tuple(whole.rows()[17][k] for k in ("slope", "intercept"))


def test_a_snapshot_and_a_frozen_run_are_read_only_and_share_the_points():
    leader = fit()
    leader.advance(10)
    snapshot = leader.snapshot()
    assert snapshot.x is leader.x and snapshot.y is leader.y  # shared, not copied
    assert snapshot.params is not leader.params and leader.params.requires_grad
    assert not snapshot.params.requires_grad  # no gradient can be taken of a run others read
    with pytest.raises(RuntimeError):
        snapshot._loss().backward()
    assert snapshot.trainable_copy().params.requires_grad
    leader.run().freeze()
    assert not leader.params.requires_grad
    with pytest.raises(RuntimeError):
        leader._loss().backward()
    assert torch.equal(leader.x, L.LineData(seed=3).make()[0])

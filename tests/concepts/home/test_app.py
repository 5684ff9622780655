"""The home page's live experiment, shared by a class (its other tests: tests/app/test_home.py). Home is
the first page a class opens, so its run is shared by everyone on the same link."""

import torch
from streamlit.testing.v1 import AppTest

from dlcore.labs import what_is_dl as wd
from tests.support.helpers import ROOT, figure, follows_then_takes_over, networks
from ui import live

PAGE = "pages/home.py"


def home_at(link: dict) -> AppTest:
    """A student opening the app at ``/?<link>``: home is the session's first script run, and its controls
    take the link's values then. (``helpers.linked_at`` applies a link after that first run, when home's
    controls already hold their defaults; and home has no seed: so ``helpers.shares_one_finished_run``
    cannot open another home run, and this test does its checks itself.)"""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"predict": "0", **link})
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_same_link_draws_one_finished_run_and_other_data_trains_its_own():
    live.results().clear()
    first = home_at({"data": "xor"}).session_state["home.run"]
    assert first.done and live.results().get(first.config_hash) is first.trainers
    weights = {(n, m): {k: v.clone() for k, v in net.state_dict().items()}
               for n, t in first.trainers.items() for m, net in networks(t).items()}
    rows = {n: repr(t.rows()) for n, t in first.trainers.items()}
    at = home_at({"data": "xor"})  # a second student, later: the very same frozen networks, no training
    assert not at.error and figure(at, "Decision boundary")["data"]
    second = at.session_state["home.run"]
    assert second.trainers is first.trainers and second.cpu_seconds == 0 and not second.playing
    assert len(weights) == 2
    for name, t in second.trainers.items():  # drawing the boundaries only read them
        assert repr(t.rows()) == rows[name], name
        for m, net in networks(t).items():
            assert not net.training and not any(p.requires_grad for p in net.parameters()), (name, m)
            assert all(torch.equal(v, weights[name, m][k]) for k, v in net.state_dict().items()), (name, m)
    other = home_at({"data": "gaussians"}).session_state["home.run"]  # home has no seed: other data
    assert other.trainers is not first.trainers and other.config_hash != first.config_hash
    assert other.cpu_seconds > 0
    score = [[r.val_loss for r in t.recorder.records] for t in (first.trainers[wd.DEEP], other.trainers[wd.DEEP])]
    assert score[0] != score[1]


def test_a_student_follows_the_run_another_session_trains_then_takes_over(monkeypatch):
    # The default data set: follows_then_takes_over opens the app (home, with its defaults) before its link.
    follows_then_takes_over(PAGE, {"data": "circle"}, monkeypatch)

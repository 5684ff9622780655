"""Following another session's run: every page whose runs are shared draws the leader's read-only
snapshots while it trains, and takes the lead (on from the last snapshot) when the leader stops.
One small link per page; ``helpers.follows_then_takes_over`` says what is checked."""

import pytest

from tests.support.helpers import follows_then_takes_over

LINKS = {  # page: the cheapest link that trains its shared run
    "activations": {"steps": "100"},
    "augmentation": {"steps": "100"},
    "autoencoder": {"steps": "250", "vae": "1"},
    "cnn": {"steps": "100"},
    "dropout": {"steps": "100"},
    "initialization": {"steps": "50"},
    "minibatch": {"steps": "100"},
    "normalization": {},
    "optimizers": {"steps": "100"},
    "rnn": {"steps": "50"},
    "transformer": {"steps": "100"},
    "vanishing_gradients": {"steps": "100"},
}


@pytest.mark.parametrize("slug", sorted(LINKS))
def test_a_student_follows_the_run_another_session_trains_then_takes_over(slug, monkeypatch):
    follows_then_takes_over(f"pages/{slug}.py", LINKS[slug] | {"seed": "31"}, monkeypatch)

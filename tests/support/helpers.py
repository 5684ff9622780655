"""Helpers shared by the AppTest and browser tests."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def app_at(page: str | None = None, timeout: float = 120, predict: bool = False) -> AppTest:
    """The app run once, then switched to ``page`` (a path like "pages/activations.py"). Predict-then-reveal
    is off unless ``predict`` (it is on by default for a learner; tests/app/test_predict.py tests that),
    so the page's runs train at once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params["predict"] = "1" if predict else "0"
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def predicted_at(page: str, link: dict, guess: str | None = None) -> AppTest:
    """``page`` opened from a link with the predict-then-reveal question on (``link``), and the
    learner's ``guess`` in the link when given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.query_params.update(link | ({"guess": guess} if guess else {}))
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    """Every Plotly figure on the page as its JSON spec (data and layout)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def figure(at: AppTest, title_part: str) -> dict:
    """The first figure whose title contains ``title_part``."""
    for fig in figures(at):
        if title_part in fig.get("layout", {}).get("title", {}).get("text", ""):
            return fig
    raise AssertionError(f"no chart titled '…{title_part}…'")


def unplottable(fig: dict) -> list[str]:
    """The traces of a figure whose values are text (categories) on an axis forced to be numeric:
    Plotly draws such a trace as nothing at all, though its data is all there."""
    bad = []
    for trace in fig["data"]:
        for dim in ("x", "y"):
            points = trace.get(dim)
            if isinstance(points, list) and points and isinstance(points[0], str):
                axis = fig["layout"].get(f"{dim}axis{trace.get(f'{dim}axis', dim)[1:]}", {})
                if axis.get("type") in ("linear", "log", "date"):
                    bad.append(f"{trace.get('name')}: text {dim} values on a {axis['type']} axis")
    return bad


def values(data) -> np.ndarray:
    """A figure array as numpy: Plotly sends numpy arrays as {"dtype", "bdata"(base64), "shape"}."""
    if isinstance(data, dict) and "bdata" in data:
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        shape = data.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(s) for s in shape.split(","))
        return flat.reshape(shape) if shape else flat
    if isinstance(data, list) and any(v is None for v in np.ravel(np.array(data, dtype=object))):
        return np.array([[np.nan if v is None else v for v in row] if isinstance(row, list) else
                         (np.nan if row is None else row) for row in data], dtype=float)  # gaps
    return np.asarray(data)


# ---------------------------------------------------------------- your own data
def linked_at(page: str, link: dict) -> AppTest:
    """``page`` opened from a link whose query parameters are ``link`` (without a guess, opening a
    page from a link is what ``predicted_at`` does)."""
    return predicted_at(page, {"predict": "0"} | link)


MALFORMED_CSV = b"1\n2\n3\n"  # one column: "line 1 has 1 column"


def upload_csv(at: AppTest, prefix: str, name: str, content: bytes | str) -> AppTest:
    """``content`` handed to the page's "Use your own data" uploader (``<prefix>.upload.file``) as
    the file ``name``, and the page run again, without an exception."""
    raw = content.encode() if isinstance(content, str) else content
    at.file_uploader(key=f"{prefix}.upload.file").set_value((name, raw, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def refuses_a_malformed_file(at: AppTest, prefix: str) -> tuple[dict, object]:
    """A one-column file gets one sentence, no traceback, and leaves the run as it was. Returns
    (the page's link, its run on the built-in data) from before the file."""
    link, builtin = dict(at.query_params), at.session_state[f"{prefix}.run"]
    upload_csv(at, prefix, "mine.csv", MALFORMED_CSV)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("This file can't be used: line 1 has 1 column"), errors
    assert "Traceback" not in errors[0] and not at.success
    assert at.session_state[f"{prefix}.run"].config_hash == builtin.config_hash
    return link, builtin


def accepts(at: AppTest, prefix: str, name: str, content: str) -> None:
    """A good file of 120 two-class 2-D points is taken, without an error."""
    upload_csv(at, prefix, name, content)
    assert not at.error, [e.value for e in at.error]
    assert "120 examples, 2 features, 2 classes" in at.success[0].value


def trains_on_uploads(at: AppTest, prefix: str, labels: bool = True):
    """The steps every page's "Your own data" test shares, on a page open in ``at`` whose upload
    group and run are keyed ``<prefix>.upload.*`` and ``<prefix>.run``:

    1. a malformed file is one sentence ("This file can't be used: line 1 has 1 column …"), never a
       traceback, and the page keeps its run on the built-in data (the same config hash);
    2. a good file (120 moons points) retrains every run on exactly its points, split and
       standardised as ``dlcore.upload`` does (``labels``: with the file's labels, too);
    3. another file of the same size is another run (hash and losses), and the first file's content
       again, under another name, is the first file's run again;
    4. the page's link never carries the file.

    Returns the run trained on the first good file, for the page's own checks.
    """
    import torch

    from dlcore.upload import parse_csv, sample_csv

    link, builtin = refuses_a_malformed_file(at, prefix)

    def trained_on(name: str, content: str):
        accepts(at, prefix, name, content)
        assert any("train on your file" in i.value for i in at.info), [i.value for i in at.info]
        run = at.session_state[f"{prefix}.run"]
        assert run.done and not run.error, run.error
        split = next(t.data_cfg for t in run.trainers.values() if hasattr(t, "data_cfg"))
        own = parse_csv(content, "2d").to_dataset(split)  # the file's points, standardised
        for t in run.trainers.values():
            ds = t.dataset
            same_points = torch.equal(ds.x_train.cpu(), own.x_train) and torch.equal(ds.x_val.cpu(), own.x_val)
            assert same_points, f"{name}: a run trained on other points than the file's, standardised"
            same_labels = torch.equal(ds.y_train.cpu(), own.y_train) and torch.equal(ds.y_val.cpu(), own.y_val)
            assert same_labels or not labels, f"{name}: a run trained on other labels than the file's"
        return run

    first_csv = sample_csv("moons", 120, seed=3)
    first = trained_on("mine.csv", first_csv)
    assert first.config_hash != builtin.config_hash
    other = trained_on("other.csv", sample_csv("moons", 120, seed=4))
    assert other.config_hash != first.config_hash
    losses = [[r.train_loss for r in t.recorder.records] for run in (first, other) for t in run.trainers.values()]
    assert losses[: len(first.trainers)] != losses[len(first.trainers):]
    again = trained_on("a copy of mine.csv", first_csv)
    assert again.config_hash == first.config_hash
    assert dict(at.query_params) == link  # the link does not carry the file
    return again


def trains_on_uploaded_points(at: AppTest, prefix: str, trained_on, expected, curve, info: str = "on your file"):
    """``trains_on_uploads`` for a page whose run is one of its own (backprop's scalar engine, a GAN),
    with neither a ``Dataset`` nor a recorder: the page's own functions say what to compare.

    Args:
        trained_on: the run -> the points it trained on, an array.
        expected: the file's ``UploadedData`` -> the points the run must train on (the file's,
            split and standardised as the page says), an array equal to ``trained_on``'s.
        curve: the run -> its losses, to tell two runs apart.
        info: a phrase of the page's notice that the run trains on the file.

    Returns the run trained on the first good file (120 moons points), for the page's own checks.
    """
    from dlcore.upload import parse_csv, sample_csv

    link, builtin = refuses_a_malformed_file(at, prefix)

    def trained(name: str, content: str):
        accepts(at, prefix, name, content)
        assert any(info in i.value for i in at.info), [i.value for i in at.info]
        run = at.session_state[f"{prefix}.run"]
        assert run.done and not run.error, run.error
        mine, theirs = np.asarray(trained_on(run)), np.asarray(expected(parse_csv(content, "2d")))
        assert mine.shape == theirs.shape and np.array_equal(mine, theirs), f"{name}: trained on other points"
        return run

    first_csv = sample_csv("moons", 120, seed=3)
    first = trained("mine.csv", first_csv)
    assert first.config_hash != builtin.config_hash
    other = trained("other.csv", sample_csv("moons", 120, seed=4))
    assert other.config_hash != first.config_hash
    assert list(curve(first)) != list(curve(other))
    again = trained("a copy of mine.csv", first_csv)
    assert again.config_hash == first.config_hash
    assert dict(at.query_params) == link  # the link does not carry the file
    return again


# ---------------------------------------------------------------- a classroom on one link
def networks(run) -> dict:
    """The torch networks of a run, by name: its ``model`` (a ``Trainer``); else every network among
    its attributes (a GAN's ``G`` and ``D``) and those of a ``Stepwise`` it holds (``trainer.model``).
    None for a run of no network (the scalar engine, scikit-learn): its rows are what is checked."""
    import torch

    from dlcore import Stepwise

    if isinstance(getattr(run, "model", None), torch.nn.Module):
        return {"model": run.model}
    found = {}
    for name, value in vars(run).items():
        if isinstance(value, torch.nn.Module):
            found[name] = value
        elif isinstance(value, Stepwise):
            found.update({f"{name}.{k}": net for k, net in networks(value).items()})
    return found


def shares_one_finished_run(page: str, prefix: str, link: dict, score):
    """Two students opening ``link`` on ``page``: the first trains the run and publishes it, the second
    draws the very same frozen networks without training (and drawing every section leaves them in eval
    mode, gradients off, weights unchanged); another seed trains its own run, with another ``score``
    (run -> a number or list). Returns the first student's run."""
    import torch

    from ui import live

    live.results().clear()
    first = linked_at(page, link).session_state[f"{prefix}.run"]
    assert first.done and live.results().get(first.config_hash) is first.trainers
    weights = {(n, m): {k: v.clone() for k, v in net.state_dict().items()}
               for n, t in first.trainers.items() for m, net in networks(t).items()}
    rows = {n: repr(t.rows()) for n, t in first.trainers.items()}
    at = linked_at(page, link)  # a second student, later: the very same frozen networks, no training
    assert not at.exception and not at.error
    second = at.session_state[f"{prefix}.run"]
    assert second.trainers is first.trainers and second.cpu_seconds == 0 and not second.playing
    for name, t in second.trainers.items():  # drawing every section only read them
        assert repr(t.rows()) == rows[name], name
        for m, net in networks(t).items():
            assert not net.training and not any(p.requires_grad for p in net.parameters()), (name, m)
            assert all(torch.equal(v, weights[name, m][k]) for k, v in net.state_dict().items()), (name, m)
    other = linked_at(page, {**link, "seed": "22"}).session_state[f"{prefix}.run"]
    assert other.trainers is not first.trainers and other.config_hash != first.config_hash
    assert score(other) != score(first)
    return first


def follows_then_takes_over(page: str, link: dict, monkeypatch) -> None:
    """A student opening ``link`` while another session trains that run: the page draws the leader's
    read-only snapshot (without changing it), and when the leader stops advancing it takes the lead,
    on from that snapshot, and finishes with exactly the numbers of an uninterrupted run."""
    import threading

    from ui import live

    def own_run(at: AppTest) -> live.LiveRun:
        return next(v for v in at.session_state.to_dict().values() if isinstance(v, live.LiveRun) and v.shared)

    live.results().clear()
    whole = own_run(linked_at(page, link))  # trained in one go, by one session
    assert whole.done and not whole.error
    live.results().clear()
    leader = live.LiveRun(whole.key, whole.config_hash, whole.factory(), whole.factory, shared=True)
    flight = live.results().lead_or_follow(whole.config_hash, leader)
    leader.advance(whole.total_steps // 2)
    flight.followers = 1
    live.results().progressed(whole.config_hash, leader, leader.snapshot)
    snapshot = flight.snapshot
    weights = {(n, m): [p.clone() for p in net.parameters()] for n, t in snapshot.items()
               for m, net in networks(t).items()}
    joined = threading.Event()

    def heartbeat() -> None:  # the leader is alive until the student has joined; then it stops advancing
        while flight.followers < 2 and not joined.wait(0.1):
            flight.progress = time.monotonic()

    beating = threading.Thread(target=heartbeat, daemon=True)
    beating.start()
    drawn = []
    draw = live._draw

    def recording(placeholder, run, page_draw) -> None:
        if run.key == whole.key:
            drawn.append((run.following is not None, run.step))
        draw(placeholder, run, page_draw)

    monkeypatch.setattr(live, "_draw", recording)
    try:
        at = linked_at(page, link)
    finally:
        joined.set()
        beating.join()
    assert not at.exception and not at.error
    run = own_run(at)
    assert drawn[0] == (True, whole.total_steps // 2), drawn  # it drew the leader's snapshot first …
    assert not any(following for following, _ in drawn[1:]), drawn  # … then its own run
    assert run.done and run.trainers is not snapshot and not leader.done
    for name, t in run.trainers.items():
        # On from the snapshot: the same numbers (repr: NaN equals NaN).
        assert repr(t.rows()) == repr(whole.trainers[name].rows()), name
    for name, t in snapshot.items():  # drawing only read the snapshot
        for m, net in networks(t).items():
            assert not net.training and not any(p.requires_grad for p in net.parameters()), (name, m)
            assert all(a.numpy().tobytes() == b.numpy().tobytes()  # bit for bit, NaN too (a run that blew up)
                       for a, b in zip(net.parameters(), weights[name, m])), (name, m)


# ---------------------------------------------------------------- predict, then reveal
def holds_then_right(at: AppTest, prefix: str, right: str) -> AppTest:
    """A page opened with its question on (``at``) holds its run at step 0; answering ``right`` (what
    the run measures) plays it to the end, with ✅ and no ❌."""
    assert any("Answer (or skip) to start training" in i.value for i in at.info)
    assert at.session_state[f"{prefix}.run"].step == 0
    at.selectbox(key=f"{prefix}.guess").select(right).run()
    assert not at.exception and at.session_state[f"{prefix}.run"].done
    assert [s.icon for s in at.success] == ["✅"] and not any(w.icon == "❌" for w in at.warning)
    return at
